#!/usr/bin/python3
"""extract.py: write every non-text part (and every named part) of the mails
in CORPUS into OUT, one file per attachment, for bench/scan/run.sh."""
import email
import os
import sys
from email import policy

corpus, out = sys.argv[1], sys.argv[2]
n = total = 0
for name in sorted(os.listdir(corpus)):
    if not name.endswith('.eml'):
        continue
    with open(os.path.join(corpus, name), 'rb') as fp:
        msg = email.message_from_binary_file(fp, policy=policy.compat32)
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        named = part.get_filename() is not None
        if not named and part.get_content_maintype() in ('text', 'multipart'):
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:
            continue
        if not data:
            continue
        with open(os.path.join(out, '%s.%d' % (name, i)), 'wb') as fp:
            fp.write(data)
        n += 1
        total += len(data)
print('%d attachments, %d bytes' % (n, total))
