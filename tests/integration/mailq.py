#!/usr/bin/python3
"""mailq.py DIR: print a JSON list summarising every message the SMTP sink
stored in DIR (in arrival order), for the shell tests to query."""
import email
import email.policy
import glob
import json
import os
import sys

out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    body = m.get_body(preferencelist=("plain",))
    atts = [{"filename": a.get_filename(), "type": a.get_content_type(),
             "content": a.get_payload(decode=True).decode("utf-8", "replace")}
            for a in m.iter_attachments()] if m.is_multipart() else []
    out.append({
        "file": os.path.basename(path),
        "env_to": str(m["X-Sink-To"]),
        "to": str(m["To"]),
        "subject": str(m["Subject"]),
        "message_id": str(m["Message-ID"]).strip("<>"),
        "in_reply_to": str(m["In-Reply-To"] or "").strip("<>"),
        "references": str(m["References"] or ""),
        "reply_to": str(m["Reply-To"] or ""),
        "auto_submitted": str(m["Auto-Submitted"] or ""),
        "loop": str(m["X-Ticketd-Loop"] or ""),
        "body": body.get_content() if body else "",
        "attachments": atts,
    })
json.dump(out, sys.stdout, ensure_ascii=False)
