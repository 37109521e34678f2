#!/usr/bin/env python3
"""analyze_hostile.py - issue #16: every nft-analyze command x text / JSON / NDJSON /
SVG / HTML on each class of hostile log made by tests/tools/mkhostile (generated
here, at CI size), asserting for each run:

  - output: no raw control byte (C0 but the newline / tab of the format, DEL), no
    C1 or bidirectional control, valid UTF-8; JSON / NDJSON parse with a strict
    decoder (bytes -> strict UTF-8 -> json, NaN / Infinity refused); SVG parses as
    XML; HTML keeps its own 5 <script> elements and their JSON parses; folded
    stacks keep their frame count; no forged PACKET TRACE block or event line;
  - exit 0, or 3 with ONE stderr line naming the limit and the flag that raises it
    (and "limits_hit" in the JSON); stderr is terminal-safe too;
  - peak RSS (wait4) under the class's bound and nft-analyze's documented limit
    (plain build; sanitizer builds check the rest), time under a bound, output
    size under a bound (RLIMIT_FSIZE);
  - per class: names survive (valid UTF-8 kept, invalid replaced by U+FFFD, every
    control visible), durations and loss totals saturate, limits hit exactly.

The commands of a class run NT_HOSTILE_JOBS at a time (default 2: the machine's
2 cores; the analyzer is single-threaded and this script mostly waits), each
measured on its own (wall time, peak RSS of that process); results are printed
in the order of COMMANDS.

Environment: O (build dir), NT_HOSTILE_ONLY="names durwrap" (classes),
NT_HOSTILE_JOBS=N (commands at once), NT_HOSTILE_KEEP=1 (keep the temporary
directory).
"""
import concurrent.futures
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

TOP = os.environ.get('NT_TOP') or os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
O = os.environ.get('O', 'build')
AN = os.path.join(TOP, O, 'nft-analyze')
MK = os.path.join(TOP, O, 'tests', 'tools', 'mkhostile')
RU = os.path.join(TOP, O, 'tests', 'tools', 'ntrusage')
SAMPLE = os.path.join(TOP, 'samples', 'basic.ntl')
SAN = 'san' in os.path.basename(O) or os.environ.get('NT_SAN') == '1'

RSS_DOC_MB = 1024          # NT_LIMITS_RSS_MB (common/limits.h), README "Bad input"
TIME_S = 10.0              # per command (plain build)
AS_CAP = 3 << 30           # address-space cap of every run (protects the host)
U64 = (1 << 64) - 1

fails = 0
npass = 0
LOGS = {}
RSS_MB = {}  # log -> the class's peak RSS bound (MiB)
JOBS = max(1, int(os.environ.get('NT_HOSTILE_JOBS', '2')))


def ok(name):
    global npass
    npass += 1
    print(f'PASS: {name}', flush=True)


def fail(name, why):
    global fails
    fails += 1
    print(f'FAIL: {name}: {why}', flush=True)


# ---- classes at CI size: (class, mkhostile args, rss MB, out MB, filters) ----
# filters: extra arguments of events / journeys / timeline on logs with very
# many packets (the model still reads everything; the output stays small)
PK1 = ['--packet', '1']
CLASSES = [
    ('names', [], 64, 2, None),
    ('openpkts', ['-n', '400000'], 450, 48, PK1),
    ('discards', ['-n', '100000'], 450, 48, PK1),
    ('bigpacket', ['-n', '300000'], 40, 48, PK1),
    ('clones', ['-n', '600000'], 200, 128, PK1),
    ('fragmerge', ['-n', '20000'], 450, 48, PK1),
    ('rulesets', ['-n', '16', '--size', str(4 << 20)], 56, 8, None),
    ('longrule', ['-n', '100', '--size', '8000000'], 64, 4, None),
    ('tswrap', ['-n', '300000'], 128, 48, PK1),
    ('durwrap', [], 64, 2, None),
    ('losswrap', [], 64, 2, None),
    ('flame', ['-n', '200000'], 400, 32, PK1),
    ('chaindefs', ['-n', '300000'], 48, 8, None),
    ('ifaces', ['-n', '16', '--size', str(4 << 20)], 56, 8, None),
]
if SAN:  # smaller: sanitizers are 3-10x slower and use more memory
    CLASSES = [
        ('names', [], 0, 2, None),
        ('openpkts', ['-n', '300000'], 0, 32, PK1),
        ('discards', ['-n', '20000'], 0, 32, PK1),
        ('bigpacket', ['-n', '100000'], 0, 32, PK1),
        ('clones', ['-n', '530000'], 0, 128, PK1),
        ('fragmerge', ['-n', '10000'], 0, 32, PK1),
        ('rulesets', ['-n', '4', '--size', str(1 << 20)], 0, 8, None),
        ('longrule', ['-n', '20', '--size', '1000000'], 0, 4, None),
        ('tswrap', ['-n', '20000'], 0, 32, PK1),
        ('durwrap', [], 0, 2, None),
        ('losswrap', [], 0, 2, None),
        ('flame', ['-n', '20000'], 0, 16, None),
        ('chaindefs', ['-n', '80000'], 0, 8, None),
        ('ifaces', ['-n', '4', '--size', str(1 << 20)], 0, 8, None),
    ]

# (name, argv after the command word, kind); LOG is replaced by the log
COMMANDS = [
    ('events', ['events', 'LOG'], 'events-text'),
    ('events --json', ['events', '--json', 'LOG'], 'json'),
    ('events --ndjson', ['events', '--ndjson', 'LOG'], 'ndjson'),
    ('events --verdict drop', ['events', '--verdict', 'drop', 'LOG'], 'events-text'),
    ('journeys', ['journeys', 'LOG'], 'journeys-text'),
    ('journeys --json', ['journeys', '--json', 'LOG'], 'json'),
    ('journeys --ndjson', ['journeys', '--ndjson', 'LOG'], 'ndjson'),
    ('stats', ['stats', 'LOG'], 'text'),
    ('stats --json', ['stats', '--json', 'LOG'], 'json'),
    ('stats --ndjson', ['stats', '--ndjson', 'LOG'], 'ndjson'),
    ('report', ['report', 'LOG'], 'journeys-text'),
    ('report --json', ['report', '--json', 'LOG'], 'json'),
    ('report --ndjson', ['report', '--ndjson', 'LOG'], 'ndjson'),
    ('report --html', ['report', '--html', 'LOG'], 'html'),
    ('timeline', ['timeline', 'LOG'], 'json'),
    ('timeline --by-cpu', ['timeline', '--by-cpu', 'LOG'], 'json'),
    ('flame', ['flame', 'LOG'], 'folded'),
    ('flame --time --by-verdict', ['flame', '--time', '--by-verdict', 'LOG'], 'folded-verdict'),
    ('flame --svg', ['flame', '--svg', 'LOG'], 'svg'),
    ('diff', ['diff', 'LOG', SAMPLE], 'text'),
    ('diff --json', ['diff', '--json', 'LOG', SAMPLE], 'json'),
    ('diff --ndjson', ['diff', '--ndjson', 'LOG', SAMPLE], 'ndjson'),
    # several logs (host labels from the HEADER) and ClickHouse rows
    ('stats 2 logs', ['stats', 'LOG', SAMPLE], 'text'),
    ('stats 2 logs --json', ['stats', '--json', 'LOG', SAMPLE], 'json'),
    ('journeys 2 logs', ['journeys', 'LOG', SAMPLE], 'text'),
    ('journeys 2 logs --ndjson', ['journeys', '--ndjson', 'LOG', SAMPLE], 'ndjson'),
    ('export packets', ['export', '-q', '--format', 'clickhouse', '--table', 'packets', 'LOG'], 'ndjson'),
    ('export nft_steps', ['export', '-q', '--format', 'clickhouse', '--table', 'nft_steps', 'LOG'], 'ndjson'),
    ('export nft_steps tsv', ['export', '-q', '--format', 'clickhouse-tsv', '--table', 'nft_steps', 'LOG'], 'tsv'),
    ('export drops tsv', ['export', '-q', '--format', 'clickhouse-tsv', '--table', 'drops', 'LOG'], 'tsv'),
]

LIMIT_RE = re.compile(r'^nft-analyze( diff)?: .+: limit reached: (.+?) \((\d+)\): .*; raise it with '
                      r'(--max-[a-z-]+) N(; also reached: [^(]*(\(--max-[a-z-]+\)[^(]*)*)?'
                      r'( \(or use --partial to compare what was read\))?$')
OOM_RE = re.compile(r'^nft-analyze: .*out of memory.*$')
# code points that must never reach a terminal raw
BAD_CP = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]')


def run(argv, out_path, out_mb, timeout, as_cap=AS_CAP):
    """Run ARGV with stdout to OUT_PATH, through ntrusage (peak RSS of the command
    itself: a process forked from python3 would count python's pages too).
    Returns (rc, stderr bytes, peak RSS MiB, seconds, timed out); rc < 0: killed
    by that signal (-25 SIGXFSZ = output over the bound, -9 timeout)."""
    # limits set by prlimit(1), not a preexec_fn: commands run from threads
    lim = ['prlimit', f'--fsize={out_mb << 20}', '--core=0'] + \
        ([f'--as={as_cap}'] if as_cap and not SAN else []) + ['--']
    err_path, rep = out_path + '.err', out_path + '.rusage'
    if os.path.exists(rep):
        os.unlink(rep)
    with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
        t0 = time.monotonic()
        p = subprocess.Popen(lim + [RU, rep] + argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             start_new_session=True)
        timed_out = False
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            timed_out = True
        dt = time.monotonic() - t0
    rc, rss_kb = -signal.SIGKILL, 0
    try:
        with open(rep) as f:
            rc, rss_kb = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        pass
    if rc > 128:
        rc = -(rc - 128)
    with open(err_path, 'rb') as f:
        errb = f.read()
    return rc, errb, rss_kb / 1024.0, dt, timed_out


def text_problems(b, allow_tab=True):
    """Terminal safety of B: strict UTF-8, no C0 but LF (and TAB), no DEL, C1, bidi."""
    try:
        s = b.decode('utf-8', 'strict')
    except UnicodeDecodeError as e:
        return f'invalid UTF-8 at byte {e.start}: {b[max(0, e.start - 20):e.start + 8]!r}'
    for m in BAD_CP.finditer(s):
        c = m.group(0)
        if c == '\t' and allow_tab:
            continue
        i = m.start()
        return f'raw U+{ord(c):04X} at character {i}: {s[max(0, i - 30):i + 10]!r}'
    return None


class HtmlTags(html.parser.HTMLParser):
    """Start tags of a page and any on* attribute."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers = {}, []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.handlers += [(tag, k) for k, v in attrs if k.lower().startswith('on')]


# the tags of model/report_html.c's page
HTML_TAGS = {'html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'div', 'main', 'section',
             'h2', 'table', 'tbody', 'thead', 'tr', 'th', 'p', 'input', 'span', 'script'}


def strict_json(s):
    def bad_const(c):
        raise ValueError(f'non-JSON constant {c}')
    return json.loads(s, parse_constant=bad_const)


def find_key(o, key):
    if isinstance(o, dict):
        if key in o:
            return o[key]
        for v in o.values():
            r = find_key(v, key)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def check_output(kind, b):
    """Returns (problem or None, parsed JSON object / list of lines objects or None)."""
    p = text_problems(b)
    if p:
        return p, None
    s = b.decode('utf-8')
    if kind == 'json':
        try:
            return None, strict_json(s)
        except ValueError as e:
            return f'not strict JSON: {e}', None
    if kind == 'ndjson':
        objs = []
        for n, line in enumerate(s.split('\n')):
            if not line and n == s.count('\n'):
                break
            try:
                objs.append(strict_json(line))
            except ValueError as e:
                return f'line {n + 1} not strict JSON: {e}', None
        return None, objs
    if kind == 'events-text':
        for n, line in enumerate(s.splitlines()):
            if not re.match(r'^\[\s*\d+\] ', line):
                return f'line {n + 1} is not an event line: {line[:80]!r}', None
        return None, None
    if kind == 'svg':
        try:
            root = ET.fromstring(b)
        except ET.ParseError as e:
            return f'SVG is not XML: {e}', None
        for e in root.iter():
            if e.tag.rsplit('}', 1)[-1] in ('script', 'foreignObject', 'a') or \
               any(k.lower().startswith('on') or 'href' in k for k in e.attrib):
                return f'SVG holds a script, link or event handler: <{e.tag} {e.attrib}>', None
        return None, root
    if kind == 'html':
        tags = HtmlTags()
        tags.feed(s)
        tags.close()
        if tags.tags.get('script', 0) != 5:
            return f'{tags.tags.get("script", 0)} <script> elements, expected the report\'s own 5', None
        bad = set(tags.tags) - HTML_TAGS
        if bad or tags.handlers:
            return f'a log string became HTML markup: tags {sorted(bad)}, handlers {tags.handlers[:3]}', None
        for m in re.finditer(r'<script type="application/json" id="([^"]+)">(.*?)</script>', s, re.S):
            try:
                strict_json(m.group(2))
            except ValueError as e:
                return f'embedded JSON {m.group(1)} does not parse: {e}', None
        return None, None
    if kind == 'tsv':  # TabSeparated: one row a line, the same number of columns
        cols = {line.count('\t') for line in s.splitlines()}
        if len(cols) > 1:
            return f'rows of {sorted(cols)} tabs: a value broke the columns', None
        return None, None
    if kind in ('folded', 'folded-verdict'):
        maxf = 4 if kind == 'folded-verdict' else 3
        for n, line in enumerate(s.splitlines()):
            m = re.match(r'^(.+) (\d+)$', line)
            if not m:
                return f'line {n + 1} is not "stack count": {line[:80]!r}', None
            if len(m.group(1).split(';')) > maxf:
                return f'line {n + 1} has more than {maxf} frames (a name added frames): {line[:80]!r}', None
        return None, None
    return None, None


def run_command(i, cname, argv, kind, log, out_mb, filt, tmp):
    """One command of a class (run from a worker thread; prints nothing).
    Returns (cname, test name, problem or None, results entry, note or None)."""
    argv = [log if a == 'LOG' else a for a in argv]
    if filt and argv[0] in ('events', 'journeys'):
        argv = argv[:1] + filt + argv[1:]
    if filt and argv[0] == 'timeline':
        argv = argv[:1] + ['--max-packets', '10'] + argv[1:]
    name = f'hostile/{os.path.basename(log)[:-4]}/{cname}'
    out = os.path.join(tmp, f'out.{i}')
    bound = TIME_S * (6 if SAN else 1)
    rc, errb, rss, dt, timed_out = run([AN] + argv, out, out_mb, bound * 2)
    size = os.path.getsize(out)
    with open(out, 'rb') as f:
        b = f.read() if size <= (out_mb << 20) else b''
    for x in (out, out + '.err', out + '.rusage'):
        if os.path.exists(x):
            os.unlink(x)
    problem = None
    if timed_out:
        problem = f'killed after {dt:.1f} s (bound {bound:.0f} s)'
    elif rc == -signal.SIGXFSZ:
        problem = f'output over {out_mb} MiB (killed by SIGXFSZ)'
    elif rc < 0:
        problem = f'killed by signal {-rc}'
    elif not SAN and dt > bound:
        problem = f'{dt:.1f} s, bound {bound:.0f} s'
    elif not SAN and RSS_MB[log] and rss > min(RSS_MB[log], RSS_DOC_MB):
        problem = f'peak RSS {rss:.0f} MiB over {min(RSS_MB[log], RSS_DOC_MB)} MiB'
    elif text_problems(errb, allow_tab=False) and errb:
        problem = f'stderr not terminal-safe: {text_problems(errb, allow_tab=False)}'
    parsed = None
    if not problem:
        lines = errb.decode('utf-8', 'replace').splitlines()
        okrc = (0, 1) if argv[0] == 'diff' else (0,)
        if rc in okrc:
            if lines:
                problem = f'exit {rc} with stderr {lines[:2]}'
        elif rc == 3 or (rc == 2 and argv[0] == 'diff'):
            # diff: a limit reached is like a damaged log (exit 2 unless --partial)
            if len(lines) != 1 or not LIMIT_RE.match(lines[0]):
                problem = f'exit {rc} needs one stderr line naming the limit and its flag, got {lines[:3]}'
        else:
            problem = f'exit {rc}: {lines[:2]}'
    if not problem and rc == 2 and argv[0] == 'diff':
        if b:
            problem = 'diff refused (exit 2) but wrote output'
    elif not problem:
        problem, parsed = check_output(kind, b)
    if not problem and rc == 3 and kind in ('json', 'ndjson') and argv[0] not in ('diff', 'export'):
        lh = find_key(parsed, 'limits_hit')
        if not lh:
            problem = 'exit 3 (limit) but no "limits_hit" in the JSON'
    res = (rc, errb.decode('utf-8', 'replace'), parsed, b if size < (4 << 20) else None)
    if problem:
        problem = f'{problem} [exit {rc}, {dt:.2f} s, {rss:.0f} MiB, {size} bytes]'
    note = f'#   {cname}: exit {rc}, {dt:.2f} s, {rss:.0f} MiB, {size} bytes' if dt > 2 or rss > 100 else None
    return cname, name, problem, res, note


def main():
    for x in (AN, MK, RU):
        if not os.access(x, os.X_OK):
            print(f'FAIL: analyze_hostile: {x} not built')
            return 1
    only = os.environ.get('NT_HOSTILE_ONLY', '').split()
    tmp = tempfile.mkdtemp(prefix='nt_hostile.')
    payloads = []
    for line in subprocess.run([MK, '--payloads'], capture_output=True, check=True).stdout.decode().splitlines():
        pid, hexs = line.split()
        payloads.append((pid, bytes.fromhex(hexs)))
    try:
        for cls, mkargs, rss_mb, out_mb, filt in CLASSES:
            if only and cls not in only:
                continue
            log = os.path.join(tmp, cls + '.ntl')
            LOGS[cls] = log
            RSS_MB[log] = rss_mb
            t0 = time.monotonic()
            r = subprocess.run([MK, cls, '-o', log, '--force'] + mkargs, capture_output=True)
            if r.returncode:
                fail(f'hostile/{cls}/generate', r.stderr.decode(errors='replace').strip())
                continue
            print(f'# {cls}: {os.path.getsize(log)} bytes, generated in {time.monotonic() - t0:.2f} s', flush=True)
            results = {}
            tasks = [(i, cname, argv, kind, log, out_mb, filt, tmp) for i, (cname, argv, kind) in enumerate(COMMANDS)]
            with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as ex:
                for cname, name, problem, res, note in ex.map(lambda t: run_command(*t), tasks):
                    results[cname] = res
                    if problem:
                        fail(name, problem)
                    else:
                        ok(name)
                    if note:
                        print(note, flush=True)
            class_checks(cls, results, payloads)
        limit_flags(tmp)
    finally:
        if os.environ.get('NT_HOSTILE_KEEP') == '1':
            print(f'# kept {tmp}')
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if fails else 0


def expect_limit(name, results, cmd, limit_what):
    r = results.get(cmd)
    if not r:
        return
    rc, err = r[0], r[1].strip()
    m = LIMIT_RE.match(err)
    if rc == 3 and m and m.group(2) == limit_what:
        ok(name)
    else:
        fail(name, f'expected exit 3 and "limit reached: {limit_what} ...", got exit {rc}: {err[:200]!r}')


def class_checks(cls, res, payloads):
    """What the class is about, beyond well-formed output."""
    def journeys_count(cmd_json, key):
        r = res.get(cmd_json)
        return len(r[2][key]) if r and isinstance(r[2], dict) and key in r[2] else None

    # forged blocks / lines: text counts equal the JSON counts
    for text_cmd, json_cmd, key in (('journeys', 'journeys --json', 'journeys'), ('report', 'report --json', 'dropped')):
        t, n = res.get(text_cmd), journeys_count(json_cmd, key)
        if t and t[3] is not None and n is not None:
            got = sum(1 for ln in t[3].decode('utf-8', 'replace').splitlines() if ln.startswith('PACKET TRACE:'))
            if got == n:
                ok(f'hostile/{cls}/{text_cmd}: {n} PACKET TRACE blocks, as in JSON')
            else:
                fail(f'hostile/{cls}/{text_cmd}: PACKET TRACE blocks', f'{got} in text, {n} in JSON (forged?)')
    ev, evj = res.get('events'), res.get('events --json')
    if ev and evj and ev[3] is not None and isinstance(evj[2], dict):
        got, n = len(ev[3].decode('utf-8', 'replace').splitlines()), len(evj[2].get('events', []))
        if got == n:
            ok(f'hostile/{cls}/events: {n} lines, one per event')
        else:
            fail(f'hostile/{cls}/events: one line per event', f'{got} lines, {n} events in JSON')

    if cls == 'names':
        funcs = set()
        r = subprocess.run([AN, 'stats', '--json', '--top', '1000', LOGS[cls]], capture_output=True)
        try:
            funcs = {f['function'] for f in strict_json(r.stdout.decode('utf-8'))['stats']['by_function']}
        except (ValueError, KeyError) as e:
            fail('hostile/names/stats --json --top 1000', f'{e}')
        # names in JSON: the payload with invalid UTF-8 replaced (maximal subparts)
        for pid, pb in payloads:
            want = 'fn_' + pb.decode('utf-8', 'replace')
            if want in funcs:
                ok(f'hostile/names/stats --json: function name {pid} round-trips')
            else:
                fail(f'hostile/names/stats --json: function name {pid}', f'{want!r} not among {len(funcs)} functions')
        js = res.get('journeys --json')
        if js and isinstance(js[2], dict):
            byif = {j.get('ifname') for j in js[2]['journeys']}
            reasons = {j.get('drop_reason') for j in js[2]['journeys']}
            texts = {n.get('text') for j in js[2]['journeys'] for n in j.get('nft', [])}
            for pid, pb in payloads:
                d = pb.decode('utf-8', 'replace')
                for what, got, want in (('ifname', byif, 'if' + d), ('rule text', texts, d)):
                    if want in got:
                        ok(f'hostile/names/journeys --json: {what} {pid}')
                    else:
                        fail(f'hostile/names/journeys --json: {what} {pid}', f'{want!r} missing')
            if any(r and r.startswith('R_') for r in reasons):
                ok('hostile/names/journeys --json: drop reasons named')
            else:
                fail('hostile/names/journeys --json: drop reasons', f'{reasons}')
        # text: visible escapes, valid UTF-8 kept
        for cmd in ('journeys', 'stats', 'events'):
            t = res.get(cmd)
            if not t or t[3] is None:
                continue
            for what, needle in (('escape visible', b'\\x1b]0;PWNED window title\\x07'),
                                 ('C1 visible', b'\\u009b31m'),
                                 ('bidi visible', b'\\u202e'),
                                 ('UTF-8 kept', 'café → 日本 😀'.encode())):
                if needle in t[3]:
                    ok(f'hostile/names/{cmd}: {what}')
                else:
                    fail(f'hostile/names/{cmd}: {what}', f'{needle!r} not in the output')

    if cls == 'durwrap':
        js = res.get('journeys --json')
        if js and isinstance(js[2], dict):
            bad = []
            for j in js[2]['journeys']:
                if j['first_ts_ns'] + j['duration_ns'] > U64:
                    bad.append(f"packet {j['packet']}: first {j['first_ts_ns']} + duration {j['duration_ns']} wraps")
                for e in j.get('path', []) + j.get('nft', []):
                    if e.get('type') != 'free_inferred' and e['t_ns'] > j['duration_ns']:
                        bad.append(f"packet {j['packet']}: t_ns {e['t_ns']} > duration {j['duration_ns']}")
            if bad:
                fail('hostile/durwrap/journeys --json: durations saturate', '; '.join(bad[:3]))
            else:
                ok('hostile/durwrap/journeys --json: durations saturate')

    if cls == 'losswrap':
        st = res.get('stats --json')
        if st and isinstance(st[2], dict):
            loss = st[2]['stats']['loss']
            got = {k: loss.get(k) for k in ('ringbuf', 'netlink', 'user')}
            if all(v == U64 for v in got.values()):
                ok('hostile/losswrap/stats --json: loss totals saturate at 2^64-1')
            else:
                fail('hostile/losswrap/stats --json: loss totals saturate', f'{got}')

    if cls == 'openpkts':
        for cmd in ('stats', 'journeys', 'events --json'):
            expect_limit(f'hostile/openpkts/{cmd}: open packets limit', res, cmd, 'open packets')
    if cls == 'discards':
        expect_limit('hostile/discards/stats: open packets limit', res, 'stats', 'open packets')
        st = res.get('stats --json')
        want = int(dict((c[0], c[1]) for c in CLASSES)['discards'][1])
        got = st[2]['stats']['loss'].get('discarded_packets') if st and isinstance(st[2], dict) else None
        if got == want:
            ok(f'hostile/discards/stats --json: {want} discarded packets, each O(1)')
        else:
            fail('hostile/discards/stats --json: discarded packets', f'{got}, expected {want}')
    if cls == 'clones':
        expect_limit('hostile/clones/stats: skbs limit', res, 'stats', 'skbs followed')
    if cls == 'bigpacket':
        expect_limit('hostile/bigpacket/journeys: records per packet limit', res, 'journeys', 'records per packet')
    if cls == 'longrule':
        expect_limit('hostile/longrule/journeys: rule text limit', res, 'journeys', 'rule text bytes printed')
    if cls == 'chaindefs':
        expect_limit('hostile/chaindefs/stats: chain definitions limit', res, 'stats', 'chain definitions')


def limit_flags(tmp):
    """Each limit lowered by its flag on a small log: exact count, stderr line, JSON."""
    log = os.path.join(tmp, 'lim.ntl')
    cases = [
        ('openpkts', ['-n', '5000'], ['stats', '--json', '--max-open-packets', '1000'],
         'open packets (1000): 4000 packets closed early as incomplete; raise it with --max-open-packets N',
         ('open_packets', 1000, 4000)),
        ('bigpacket', ['-n', '1000'], ['journeys', '--json', '--max-packet-records', '100'],
         'records per packet (100): 902 records not kept for output; raise it with --max-packet-records N',
         ('packet_records', 100, 902)),
        ('longrule', ['-n', '3', '--size', '20000'], ['journeys', '--json', '--max-rule-text', '64'],
         'rule text bytes printed (64): 3 rule texts cut; raise it with --max-rule-text N',
         ('rule_text', 64, 3)),
        ('chaindefs', ['-n', '2000'], ['stats', '--json', '--max-chains', '1000'],
         'chain definitions (1000): 1000 chain definitions ignored; raise it with --max-chains N',
         ('chains', 1000, 1000)),
        ('rulesets', ['-n', '5', '--size', '8192'], ['stats', '--json', '--max-meta-blocks', '2'],
         'metadata blocks per kind (2): 3 metadata blocks skipped; raise it with --max-meta-blocks N',
         ('meta_blocks', 2, 3)),
        ('clones', ['-n', '1500'], ['stats', '--json', '--max-skbs', '1000'],
         'skbs followed (1000): 501 records of skbs not followed; raise it with --max-skbs N',
         ('skbs', 1000, 501)),
    ]
    for cls, mkargs, argv, want, (lname, lmax, lcount) in cases:
        name = f'hostile/limit-flag/{argv[-2]}'
        subprocess.run([MK, cls, '-o', log, '--force'] + mkargs, check=True)
        out = os.path.join(tmp, 'out')
        rc, errb, rss, dt, _ = run([AN] + argv + [log], out, 64, 60)
        err = errb.decode('utf-8', 'replace').strip()
        full = f'nft-analyze: {log}: limit reached: {want}'
        if rc != 3 or err != full:
            fail(name, f'exit {rc}, stderr {err[:300]!r}; expected exit 3 and {full!r}')
            continue
        with open(out, 'rb') as f:
            problem, parsed = check_output('json', f.read())
        lh = find_key(parsed, 'limits_hit') if not problem else None
        if problem or not lh or {'limit': lname, 'max': lmax, 'count': lcount, 'flag': argv[-2]} not in lh:
            fail(name, f'JSON: {problem or lh}')
        else:
            ok(name)
    # a bad value: exit 2, one line
    rc, errb, _, _, _ = run([AN, 'stats', '--max-open-packets', '0', SAMPLE], os.path.join(tmp, 'out'), 1, 30)
    want = "nft-analyze: --max-open-packets: expected a count 1..2^40 (suffixes k M G T), got '0'"
    if rc == 2 and errb.decode(errors='replace').strip() == want:
        ok('hostile/limit-flag/bad value')
    else:
        fail('hostile/limit-flag/bad value', f'exit {rc}, {errb[:200]!r}')
    # out of memory is exit 1 and one line, never partial results with exit 0
    if not SAN:
        subprocess.run([MK, 'openpkts', '-o', log, '--force', '-n', '600000'], check=True)
        rc, errb, _, _, _ = run([AN, 'journeys', '--max-open-packets', '1T', '--packet', '1', log],
                                os.path.join(tmp, 'out'), 64, 60, as_cap=160 << 20)
        lines = errb.decode('utf-8', 'replace').splitlines()
        if rc == 1 and len(lines) == 1 and OOM_RE.match(lines[0]):
            ok('hostile/out-of-memory')
        else:
            fail('hostile/out-of-memory', f'want exit 1 and one line, got exit {rc}, stderr {lines[:3]}')


if __name__ == '__main__':
    sys.exit(main())
