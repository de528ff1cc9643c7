import Testing
@testable import MoongateSpec

@Suite struct ConfigWriterTests {
    @Test func skeletonMatchesTestNginx() {
        var preamble = SpecPreamble()
        preamble.envToNginx = ["FOO"]
        var input = ConfigInput(serverRoot: "/srv/t/servroot", port: 1984, preamble: preamble)
        input.config = "location = /t { return 200; }"
        input.httpConfig = "lua_shared_dict d 1m;"
        input.mainConfig = "worker_rlimit_nofile 1024;"
        input.loadModules = ["/m/a.so", "/m/b.so"]
        let conf = ConfigWriter.render(input)
        #expect(conf.hasPrefix("load_module /m/a.so;\nload_module /m/b.so;\n"))
        #expect(conf.contains("worker_processes  1;"))
        #expect(conf.contains("daemon on;"))
        #expect(conf.contains("master_process off;"))
        #expect(conf.contains("error_log /srv/t/servroot/logs/error.log debug;"))
        #expect(conf.contains("pid       /srv/t/servroot/logs/nginx.pid;"))
        #expect(conf.contains("env FOO;"))
        #expect(conf.contains("listen          1984;"))
        #expect(conf.contains("server_name     'localhost';"))
        #expect(conf.contains("root /srv/t/servroot/html;"))
        #expect(conf.contains("worker_connections  64;"))
        #expect(conf.contains("lua_shared_dict d 1m;"))
        #expect(conf.contains("worker_rlimit_nofile 1024;"))
    }

    @Test func settingsAndRootLocation() {
        var preamble = SpecPreamble()
        preamble.masterProcess = true
        preamble.workers = 2
        var input = ConfigInput(serverRoot: "/r/", port: 8080, preamble: preamble)
        input.logLevel = "warn"
        input.config = "location / { return 204; }"
        let conf = ConfigWriter.render(input)
        #expect(conf.contains("master_process on;"))
        #expect(conf.contains("worker_processes  2;"))
        #expect(conf.contains("error_log /r/logs/error.log warn;"))
        // Test::Nginx adds its `location /` even then (unless no_root_location()).
        #expect(conf.contains("index index.html"))
        preamble.noRootLocation = true
        input.preamble = preamble
        #expect(!ConfigWriter.render(input).contains("index index.html"))
    }
}
