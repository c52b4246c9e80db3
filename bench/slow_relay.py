#!/usr/bin/env python3
"""A TCP relay that makes a stand-in answer later: the slowed-store scenario of scripts/bench.sh.

  slow_relay.py LISTEN_PORT TARGET_PORT DELAY_MS

Listens on 127.0.0.1:LISTEN_PORT and forwards every connection to 127.0.0.1:TARGET_PORT. Each
chunk from the client reaches the server DELAY_MS after it arrived (chunks keep their order and
are not delayed one after another: a request whose headers and body come in two chunks is late
by DELAY_MS, not twice), so every DynamoDB call through it answers DELAY_MS later. Answers go
back at once. Stdlib only; prints one line when listening, nothing per connection; exits 0 on
SIGTERM or SIGINT.
"""

import asyncio
import signal
import sys

CHUNK = 65536


async def pump_delayed(reader, writer, delay):
    """Client -> server: every chunk is written `delay` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        try:
            while data := await reader.read(CHUNK):
                queue.put_nowait((loop.time() + delay, data))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((loop.time() + delay, b""))

    reading = asyncio.create_task(read())
    try:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        reading.cancel()


async def pump(reader, writer):
    """Server -> client, as it comes."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def main(listen_port, target_port, delay_ms):
    delay = delay_ms / 1000
    conns = set()

    async def handle(c_reader, c_writer):
        task = asyncio.current_task()
        conns.add(task)
        s_writer = None
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", target_port)
            up = asyncio.create_task(pump_delayed(c_reader, s_writer, delay))
            down = asyncio.create_task(pump(s_reader, c_writer))
            try:
                # Over when the server has closed its side (its answer is all sent), or both
                # directions have ended.
                await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
                if not down.done():
                    await down
            finally:
                up.cancel()
                down.cancel()
        except (ConnectionError, OSError):
            pass  # target down: the client sees its connection closed
        except asyncio.CancelledError:
            pass  # shutting down
        finally:
            if s_writer is not None:
                s_writer.close()
            c_writer.close()
            conns.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"slow_relay: 127.0.0.1:{listen_port} -> 127.0.0.1:{target_port}, +{delay_ms} ms per request chunk",
        flush=True,
    )
    async with server:
        await stop.wait()
        server.close()
        for task in list(conns):
            task.cancel()
        await asyncio.gather(*conns, return_exceptions=True)


if __name__ == "__main__":
    if len(sys.argv) != 4 or not all(a.isdigit() for a in sys.argv[1:]):
        sys.exit("usage: slow_relay.py LISTEN_PORT TARGET_PORT DELAY_MS")
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
