import Foundation

/// The inputs of one generated nginx.conf.
public struct ConfigInput: Sendable {
    /// Absolute server root (the `-p` prefix).
    public var serverRoot: String
    /// The port of the test server.
    public var port: Int
    /// Preamble settings (workers, master, log level, env).
    public var preamble: SpecPreamble
    /// The block's `--- log_level`, overriding the preamble.
    public var logLevel: String?
    /// `--- main_config`.
    public var mainConfig = ""
    /// `--- http_config` (plus any `init_by_lua_block` section).
    public var httpConfig = ""
    /// `--- config`, placed inside the `server {}`.
    public var config = ""
    /// `--- post_main_config`, after the `http {}` block.
    public var postMainConfig = ""
    /// Dynamic modules to load first (`load_module`).
    public var loadModules: [String] = []

    /// Creates the inputs.
    public init(serverRoot: String, port: Int, preamble: SpecPreamble = SpecPreamble()) {
        self.serverRoot = serverRoot
        self.port = port
        self.preamble = preamble
    }
}

/// Generates the nginx.conf that Test::Nginx's `write_config_file` would write.
public enum ConfigWriter {
    /// Renders the configuration text.
    public static func render(_ input: ConfigInput) -> String {
        let root = input.serverRoot.hasSuffix("/") ? String(input.serverRoot.dropLast()) : input.serverRoot
        var out = ""
        for module in input.loadModules {
            out += "load_module \(module);\n"
        }
        out += """
        worker_processes  \(input.preamble.workers);
        daemon on;
        master_process \(input.preamble.masterProcess ? "on" : "off");
        error_log \(root)/logs/error.log \(input.logLevel ?? input.preamble.logLevel);
        pid       \(root)/logs/nginx.pid;

        """
        for env in input.preamble.envToNginx {
            out += "env \(env);\n"
        }
        out += """

        \(input.mainConfig)

        http {
            access_log \(root)/logs/access.log;
            #access_log off;

            default_type text/plain;
            keepalive_timeout  68;

            client_body_temp_path \(root)/client_body_temp;
            proxy_temp_path \(root)/proxy_temp;
            fastcgi_temp_path \(root)/fastcgi_temp;
            uwsgi_temp_path \(root)/uwsgi_temp;
            scgi_temp_path \(root)/scgi_temp;

        \(input.httpConfig)

            server {
                listen          \(input.port);
                server_name     'localhost';

                client_max_body_size 30M;
                #client_body_buffer_size 4k;

                # Begin test case config...
        \(input.config)
                # End test case config.

        """
        // As Test::Nginx: the default `location /` goes in unless no_root_location(), even
        // when the test has its own (nginx then refuses the duplicate).
        if !input.preamble.noRootLocation {
            out += """
                    location / {
                        root \(root)/html;
                        index index.html index.htm;
                    }

            """
        }
        out += """
            }
        }

        \(input.postMainConfig)

        #timer_resolution 100ms;

        events {
            accept_mutex off;

            worker_connections  \(input.preamble.workerConnections);
        }

        """
        return out
    }
}
