#!/usr/bin/env python3
"""A TLS-terminating TCP proxy on loopback, so a function talking to moto pays a real TLS
handshake (what its first request to AWS pays), minus the network round trips.

Usage: tls_proxy.py --cert CERT --key KEY --target HOST:PORT PORT...
Each PORT listens on 127.0.0.1 with TLS and forwards the plaintext to the target; several ports
stand for several AWS hosts (S3 and DynamoDB), so a client keeps one connection per host.
Prints "ready" once every port listens.
"""

import argparse
import asyncio
import contextlib
import ssl


async def pipe(reader, writer):
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.close()


async def serve(args):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    host, port = args.target.rsplit(":", 1)

    async def handle(client_reader, client_writer):
        try:
            target_reader, target_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, target_writer), pipe(target_reader, client_writer))

    servers = [
        await asyncio.start_server(handle, "127.0.0.1", listen, ssl=context)
        for listen in args.ports
    ]
    print("ready", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("ports", type=int, nargs="+")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
