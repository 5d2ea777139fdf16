"""mailbox.py DIR: one line per mail that smtp_recorder.py saved, in the
order received: envelope recipient | decoded subject | Message-ID |
List-Unsubscribe | Content-Type | Content-Transfer-Encoding |
Content-Language | the decoded body on one line. With --raw-subject, the
Subject header as it came over the wire instead of decoded."""
import email
import email.header
import email.policy
import os
import sys

d = sys.argv[1]
raw = "--raw-subject" in sys.argv
names = sorted((n for n in os.listdir(d) if n.startswith("mail.") and n[5:].isdigit()),
               key=lambda n: int(n[5:]))
for n in names:
    with open(os.path.join(d, n), "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.compat32)
    subject = m["Subject"]
    if not raw:
        subject = str(email.header.make_header(email.header.decode_header(subject)))
    body = m.get_payload(decode=True).decode(m.get_content_charset())
    print("|".join([m["X-Envelope-To"], subject.replace("\n", " ").replace("\r", ""), m["Message-ID"],
                    " ".join(m["List-Unsubscribe"].split()), m["Content-Type"],
                    m["Content-Transfer-Encoding"], m["Content-Language"], body.replace("\r\n", " ").strip()]))
