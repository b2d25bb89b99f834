package cortex.testsvc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.kernel.api.net.NetworkConnectionTracker;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.bolt.BoltServer;

/**
 * Embedded Neo4j Community for tests: Bolt on 127.0.0.1 (port 0 = any free port), no HTTP, no auth.
 * Usage: Neo4jLauncher DATA_DIR PORT_FILE. Writes "bolt://127.0.0.1:PORT" to PORT_FILE once the default
 * database answers a query; runs until killed (a shutdown hook stops the database cleanly).
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        Path portFile = Path.of(args[1]).toAbsolutePath();
        Files.deleteIfExists(portFile);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, 32L * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(120))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally("RETURN 1");
        int port = boundBoltPort(db);
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, "bolt://127.0.0.1:" + port + "\n");
        Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println("neo4j ready bolt://127.0.0.1:" + port);
        Thread.currentThread().join();
    }

    private static int boundBoltPort(GraphDatabaseAPI db) {
        var ports = db.getDependencyResolver()
                .resolveDependency(org.neo4j.configuration.connectors.ConnectorPortRegister.class);
        var address = ports.getLocalAddress(org.neo4j.configuration.connectors.ConnectorType.BOLT);
        return address.getPort();
    }
}
