#!/usr/bin/env python3
# extract-eml.py: write NAME.eml.txt next to every NAME.eml: the first
# text/plain part, transfer-decoded and charset-decoded to UTF-8, as talon's
# test_standard_replies reads it. Run once; the outputs are committed so the
# unit test needs no MIME parser. Usage: python3 extract-eml.py [DIR]
import email, glob, os, sys
from email import policy

d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
for path in sorted(glob.glob(os.path.join(d, '*.eml'))):
    with open(path, 'rb') as f:
        msg = email.message_from_binary_file(f, policy=policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == 'text/plain':
            raw = part.get_payload(decode=True) or b''
            text = raw.decode(part.get_content_charset() or 'us-ascii', 'replace')
            break
    else:
        text = ''
    with open(path + '.txt', 'w', encoding='utf-8', newline='') as f:
        f.write(text)
