"""An aiosmtpd handler for tests/e2e/messenger.sh, run by aiosmtpd itself:
    python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_recorder.Recorder DIR
Each accepted mail is saved as DIR/mail.N (N counts from 1), prefixed with
an X-Envelope-To line per recipient and, when the session was encrypted
(STARTTLS or implicit TLS), an X-TLS line with the protocol. DIR/mode, read at each command, makes
the server misbehave on purpose:
    refuse  every RCPT gets 451 (a temporary refusal)
    slow    DATA waits 5 s, then 451 (the client has timed out by then)
    hold    DATA saves the mail, creates DIR/held.N, then answers only once
            DIR/release exists (so a test can act while a send is open)
"""
import asyncio
import os


class Recorder:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    def mode(self):
        try:
            with open(os.path.join(self.dir, "mode")) as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refuse" in self.mode():
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mode = self.mode()
        if "slow" in mode:
            await asyncio.sleep(5)
            return "451 4.4.2 Too slow"
        self.n += 1
        path = os.path.join(self.dir, "mail.%d" % self.n)
        head = "".join("X-Envelope-To: %s\r\n" % r for r in envelope.rcpt_tos)
        tls = server.transport.get_extra_info("ssl_object") if server.transport else None
        if tls is not None:
            head += "X-TLS: %s\r\n" % tls.version()
        head = head.encode()
        with open(path + ".tmp", "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(path + ".tmp", path)
        if "hold" in mode:
            open(os.path.join(self.dir, "held.%d" % self.n), "w").close()
            while not os.path.exists(os.path.join(self.dir, "release")):
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"
