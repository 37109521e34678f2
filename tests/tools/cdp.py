#!/usr/bin/env python3
# tests/tools/cdp.py - a small Chrome DevTools Protocol driver for the browser
# tests (Python standard library only): Debian's Chromium, headless, spoken to
# over --remote-debugging-pipe (fd 3: commands, fd 4: answers and events, each
# message JSON followed by a NUL byte), so no WebSocket and no port.
#
#   with Browser('/usr/bin/chromium', netns='ns1') as b:
#       p = b.page(1280, 900)
#       p.goto('http://127.0.0.1:5000/')
#       p.wait("document.body.dataset.ready === '1'")
#       p.js("document.title")                   # value (awaits promises)
#       p.key('Enter')                            # to the focused element
#       p.screenshot('out.png')
#       b.allow_downloads(dir); ...; b.wait_download(timeout)
#   p.errors: exceptions, console errors and CSP violations seen in the page
#   p.responses: (url, status) of every HTTP answer it got
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-default-apps', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
         '--remote-debugging-pipe']


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, chrome='/usr/bin/chromium', netns=None, timeout=20):
        self.ud = tempfile.mkdtemp(prefix='nt-cdp.')
        self.timeout = timeout
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        cmd = [chrome] + FLAGS + ['--user-data-dir=' + self.ud, 'about:blank']
        if netns:
            cmd = ['ip', 'netns', 'exec', netns] + cmd
        # the fds as 3 and 4 in Chromium, whatever numbers they have here
        sh = 'r=$1 w=$2; shift 2; exec "$@" 3<&"$r" 4>&"$w"'
        self.err = open(os.path.join(self.ud, 'chrome.err'), 'wb')
        self.proc = subprocess.Popen(['bash', '-c', sh, 'bash', str(to_chrome_r), str(from_chrome_w)] + cmd,
                                     pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
                                     stdout=self.err, stderr=self.err)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b''
        self._id = 0
        self.events = []          # (sessionId, method, params) not yet consumed
        self.downloads = {}       # guid -> {'name':..., 'state':...}

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.send('Browser.close', timeout=3)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.err.close()
        shutil.rmtree(self.ud, ignore_errors=True)

    # ---- the pipe ----
    def _read_msg(self, deadline):
        while b'\0' not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self._r], [], [], left)
            if not r:
                return None
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise CDPError('chromium closed the pipe (exit %s): %s' % (self.proc.poll(), self.stderr_tail()))
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b'\0')
        return json.loads(msg)

    def stderr_tail(self):
        try:
            with open(os.path.join(self.ud, 'chrome.err'), 'rb') as f:
                return f.read()[-600:].decode('utf-8', 'replace')
        except OSError:
            return ''

    def _event(self, m):
        meth, params = m['method'], m.get('params', {})
        if meth == 'Browser.downloadWillBegin':
            self.downloads[params['guid']] = {'name': params['suggestedFilename'], 'state': 'inProgress'}
        elif meth == 'Browser.downloadProgress':
            self.downloads.setdefault(params['guid'], {'name': None})['state'] = params['state']
        self.events.append((m.get('sessionId'), meth, params))

    def pump(self, seconds):
        """Read events for SECONDS."""
        deadline = time.monotonic() + seconds
        while True:
            m = self._read_msg(deadline)
            if m is None:
                return
            if 'method' in m:
                self._event(m)

    def send(self, method, params=None, session=None, timeout=None):
        self._id += 1
        mid = self._id
        msg = {'id': mid, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        data = json.dumps(msg).encode() + b'\0'
        while data:
            n = os.write(self._w, data)
            data = data[n:]
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            m = self._read_msg(deadline)
            if m is None:
                raise CDPError('%s: no answer in %ss' % (method, timeout or self.timeout))
            if m.get('id') == mid:
                if 'error' in m:
                    raise CDPError('%s: %s' % (method, m['error'].get('message')))
                return m.get('result', {})
            if 'method' in m:
                self._event(m)

    # ---- pages and downloads ----
    def page(self, width=1280, height=900):
        t = self.send('Target.createTarget', {'url': 'about:blank'})['targetId']
        s = self.send('Target.attachToTarget', {'targetId': t, 'flatten': True})['sessionId']
        return Page(self, t, s, width, height)

    def allow_downloads(self, path):
        os.makedirs(path, exist_ok=True)
        self.send('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': path,
                                                  'eventsEnabled': True})

    def wait_download(self, timeout=15, known=()):
        """Wait for a download not in KNOWN to complete; its suggested name."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for g, d in self.downloads.items():
                if g not in known and d.get('state') in ('completed', 'canceled'):
                    if d['state'] != 'completed':
                        raise CDPError('download %s canceled' % d.get('name'))
                    return g, d['name']
            self.pump(0.1)
        raise CDPError('no download completed in %ss' % timeout)


KEYS = {'Enter': (13, '\r'), 'Tab': (9, ''), 'Space': (32, ' '), 'Escape': (27, '')}


class Page:
    def __init__(self, b, target, session, width, height):
        self.b, self.target, self.s = b, target, session
        self.errors = []
        self.responses = []       # (url, status) of every HTTP answer
        for dom in ('Page', 'Runtime', 'Log', 'Network'):
            self.cmd(dom + '.enable')
        self.viewport(width, height)

    def cmd(self, method, params=None, timeout=None):
        r = self.b.send(method, params, self.s, timeout)
        self._collect()
        return r

    def _collect(self):
        keep = []
        for ev in self.b.events:
            sess, meth, p = ev
            if sess != self.s:
                keep.append(ev)
                continue
            if meth == 'Network.responseReceived':
                self.responses.append((p['response']['url'], p['response']['status']))
            elif meth == 'Runtime.exceptionThrown':
                d = p['exceptionDetails']
                self.errors.append('exception: %s' % (d.get('exception', {}).get('description') or d.get('text')))
            elif meth == 'Runtime.consoleAPICalled' and p['type'] in ('error', 'assert'):
                self.errors.append('console.%s: %s' % (p['type'], ' '.join(str(a.get('value', a.get('description', ''))) for a in p['args'])))
            elif meth == 'Log.entryAdded' and p['entry']['level'] == 'error':
                e = p['entry']
                self.errors.append('%s: %s %s' % (e.get('source'), e.get('text'), e.get('url', '')))
        self.b.events = keep

    def viewport(self, width, height, mobile=False):
        self.width = width
        self.cmd('Emulation.setDeviceMetricsOverride', {'width': width, 'height': height,
                                                        'deviceScaleFactor': 1, 'mobile': mobile})

    def goto(self, url, timeout=15):
        self.cmd('Page.navigate', {'url': url})
        self.wait("document.readyState === 'complete'", timeout)

    def js(self, expr, timeout=None):
        r = self.cmd('Runtime.evaluate', {'expression': expr, 'awaitPromise': True, 'returnByValue': True},
                     timeout)
        if 'exceptionDetails' in r:
            d = r['exceptionDetails']
            raise CDPError('js %r: %s' % (expr[:80], d.get('exception', {}).get('description') or d.get('text')))
        return r['result'].get('value')

    def wait(self, expr, timeout=15, what=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.js('(() => { try { return %s; } catch (e) { return false; } })()' % expr)
                if last:
                    return last
            except CDPError:
                pass
            self.b.pump(0.1)
            self._collect()
        raise CDPError('timeout (%ss) waiting for %s' % (timeout, what or expr))

    def key(self, name):
        code, text = KEYS[name]
        base = {'key': name if name != 'Space' else ' ', 'code': name, 'windowsVirtualKeyCode': code,
                'nativeVirtualKeyCode': code}
        self.cmd('Input.dispatchKeyEvent', dict(base, type='keyDown', text=text) if text else dict(base, type='rawKeyDown'))
        self.cmd('Input.dispatchKeyEvent', dict(base, type='keyUp'))

    def type_text(self, text):
        self.cmd('Input.insertText', {'text': text})

    def screenshot(self, path, full=True, height=None, quality=None):
        """PNG (JPEG with QUALITY) of the viewport, the whole page (FULL), or
        its first HEIGHT pixels."""
        params = {'format': 'jpeg', 'quality': quality} if quality else {'format': 'png'}
        if full or height:
            h = height or self.js('Math.ceil(document.documentElement.scrollHeight)')
            params['clip'] = {'x': 0, 'y': 0, 'width': self.width, 'height': h, 'scale': 1}
            params['captureBeyondViewport'] = True
        data = self.cmd('Page.captureScreenshot', params, timeout=30)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))
