/// Status lines and default error pages, byte for byte as nginx writes them
/// (`ngx_http_status_lines`, `ngx_http_error_pages`), with "moongate" where nginx
/// prints its name.
public enum HTTPStatus {
    /// The reason phrase nginx uses in the status line; nil for codes it does not know.
    public static func reason(_ code: Int) -> String? {
        switch code {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Moved Temporarily"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Time-out"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Request Entity Too Large"
        case 414: return "Request-URI Too Large"
        case 415: return "Unsupported Media Type"
        case 416: return "Requested Range Not Satisfiable"
        case 421: return "Misdirected Request"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Temporarily Unavailable"
        case 504: return "Gateway Time-out"
        case 505: return "HTTP Version Not Supported"
        case 507: return "Insufficient Storage"
        default: return nil
        }
    }

    /// `HTTP/1.1 404 Not Found` as nginx writes it (unknown codes get no reason).
    public static func statusLine(_ code: Int) -> String {
        if let r = reason(code) { return "HTTP/1.1 \(code) \(r)" }
        return "HTTP/1.1 \(code) "
    }

    /// Appended to error pages for MSIE and Chrome (`msie_padding on`).
    public static let msiePadding = String(
        repeating: "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n", count: 6)

    private static let tail = "<hr><center>moongate</center>\r\n</body>\r\n</html>\r\n"

    /// The default error page body for codes nginx has one for (>= 300 except 304).
    public static func errorPage(_ code: Int) -> String? {
        let title: String
        switch code {
        case 302:
            // nginx's status line says "Moved Temporarily" but its page says "Found".
            title = "302 Found"
        case 301, 303, 307, 308:
            title = "\(code) \(reason(code)!)"
        case 494:
            return "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n"
                + "<center><h1>400 Bad Request</h1></center>\r\n"
                + "<center>Request Header Or Cookie Too Large</center>\r\n" + tail
        case 495, 496, 497:
            let detail: String
            switch code {
            case 495: detail = "The SSL certificate error"
            case 496: detail = "No required SSL certificate was sent"
            default: detail = "The plain HTTP request was sent to HTTPS port"
            }
            return "<html>\r\n<head><title>400 \(detail)</title></head>\r\n<body>\r\n"
                + "<center><h1>400 Bad Request</h1></center>\r\n<center>\(detail)</center>\r\n" + tail
        default:
            guard code >= 400, let r = reason(code) else { return nil }
            title = "\(code) \(r)"
        }
        return "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n"
            + tail
    }
}
