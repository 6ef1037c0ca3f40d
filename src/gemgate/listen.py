"""Binding the listening socket before anything is announced, so a busy port is one clear line."""

from __future__ import annotations

import errno
import socket


class CannotListen(OSError):
    """The gateway cannot listen on the address; `message` is one line for the operator (no traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port, ready to hand to uvicorn (`Server.serve(sockets=[...])`).

    Raises CannotListen with a message naming the address and, for a port in use, how to pick another
    (`--port`).
    """
    if not 0 <= port <= 65535:
        raise CannotListen(f"cannot listen on port {port}: a port is a number from 1 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        address = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"cannot listen on {address}: the port is already in use (another gemgate or another program "
                f"listens there); pick another port with --port, e.g. --port {_other_port(port)}"
            ) from None
        raise CannotListen(f"cannot listen on {address}: {exc.strerror or exc}") from None
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _other_port(port: int) -> int:
    return port + 1 if 0 < port < 65535 else 8081
