#!/usr/bin/python3
"""mkmail.py KIND OUT: write a test message with an attachment of a given kind.

Kinds: eicar-plain, eicar-zip, eicar-oddb64, eicar-inline, eicar-forwarded,
clean-pdf, big, elf-as-txt, text NAME=FILE (attach FILE's bytes as NAME),
random MIB (MIB MiB of random bytes, base64).
Every message gets a distinct Message-ID from OUT's name.
"""
import base64, io, os, sys, zipfile
from email.message import EmailMessage
from email import policy

EICAR = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
kind, out = sys.argv[1], sys.argv[2]
name = os.path.basename(out)

def base(subject):
    m = EmailMessage(policy=policy.SMTP)
    m['From'] = 'Customer <customer@example.org>'
    m['To'] = 'support@example.com'
    m['Subject'] = subject
    m['Message-ID'] = '<%s@scan.test>' % name
    m.set_content('Please see the attachment.\n')
    return m

def write(data):
    with open(out, 'wb') as f:
        f.write(data)

if kind == 'eicar-plain':
    m = base('eicar plain')
    m.add_attachment(EICAR, maintype='application', subtype='octet-stream', filename='eicar.com')
    write(m.as_bytes())
elif kind == 'eicar-zip':
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('readme.txt', 'nothing to see')
        z.writestr('eicar.com', EICAR)
    m = base('eicar in a zip')
    m.add_attachment(buf.getvalue(), maintype='application', subtype='zip', filename='invoice.zip')
    write(m.as_bytes())
elif kind == 'eicar-oddb64':
    b64 = base64.b64encode(EICAR).decode()
    lines = [b64[0:7], b64[7:50], b64[50:51], b64[51:]]
    body = ('From: customer@example.org\r\nTo: support@example.com\r\nSubject: odd base64\r\n'
            'Message-ID: <%s@scan.test>\r\nMIME-Version: 1.0\r\n'
            'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
            'Content-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\n'
            'Content-Type: application/octet-stream; name="odd.bin"\r\n'
            'Content-Disposition: attachment; filename="odd.bin"\r\n'
            'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n') % (name, '\r\n'.join(lines))
    write(body.encode())
elif kind == 'eicar-inline':
    m = base('eicar inline')
    m.add_attachment(EICAR, maintype='image', subtype='png', filename='logo.png',
                     disposition='inline', cid='<logo@x>')
    write(m.as_bytes())
elif kind == 'eicar-forwarded':
    inner = base('inner')
    del inner['Message-ID']
    inner['Message-ID'] = '<inner-%s@scan.test>' % name
    inner.add_attachment(EICAR, maintype='application', subtype='octet-stream', filename='eicar.com')
    m = base('Fwd: eicar forwarded')
    m.add_attachment(inner, filename='forwarded.eml')
    write(m.as_bytes())
elif kind == 'clean-pdf':
    m = base('clean pdf')
    m.add_attachment(b'%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n', maintype='application',
                     subtype='pdf', filename='report.pdf')
    write(m.as_bytes())
elif kind == 'big':
    m = base('too big')
    m.add_attachment(b'A' * 300000, maintype='application', subtype='octet-stream', filename='big.bin')
    write(m.as_bytes())
elif kind == 'random':
    m = base('random %s MiB' % sys.argv[3])
    m.add_attachment(os.urandom(int(float(sys.argv[3]) * 1048576)), maintype='application',
                     subtype='octet-stream', filename='random.bin')
    write(m.as_bytes())
elif kind == 'elf-as-txt':
    elf = b'\x7fELF\x02\x01\x01\x00' + b'\x00' * 8 + b'\x02\x00\x3e\x00\x01\x00\x00\x00' + b'\x00' * 200
    m = base('binary named txt')
    m.add_attachment(elf, maintype='text', subtype='plain', filename='notes.txt')
    write(m.as_bytes())
elif kind == 'file':
    fname, path = sys.argv[3].split('=', 1)
    m = base('file ' + fname)
    m.add_attachment(open(path, 'rb').read(), maintype='application', subtype='octet-stream',
                     filename=fname)
    write(m.as_bytes())
else:
    sys.exit('unknown kind ' + kind)
