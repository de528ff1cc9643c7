#!/usr/bin/env python3
"""Prints a loopback port that is free for UDP and for TCP at once (a name server
answers on both): each candidate is bound both ways before it is handed out."""
import socket

while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", u.getsockname()[1]))
        print(u.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        u.close()
        t.close()
