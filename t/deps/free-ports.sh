# Sourced by the t/deps runners of name servers. start_on_free_ports WHAT COMMAND:
# sets PORT and SILENT to loopback ports free for UDP and TCP at once (a name server
# answers on both), runs COMMAND (which uses them) in the background as SERVER, and
# starts it again on other ports if it exits at once (a port taken between the choice
# and its bind), rather than every spec timing out against a dead server.
start_on_free_ports() {
    for attempt in 1 2 3; do
        PORT=$(python3 t/deps/free-port.py)
        SILENT=$(python3 t/deps/free-port.py)
        eval "exec $2" &
        SERVER=$!
        sleep 0.3
        if kill -0 "$SERVER" 2>/dev/null; then return 0; fi
        wait "$SERVER" 2>/dev/null || true
        echo "$1 did not start on $PORT/$SILENT (attempt $attempt)" >&2
    done
    return 1
}
