// The browser test: the real shakedown on ephemeral ports and ONE headless
// Chromium that trusts the test CA. (a) Every [expect.chromium] entry:
// navigate to the scenario and compare the network error, or the HTTP
// answer, with the expectation. (b) The dashboard: load it, wait for its
// live checks, and require every tile's verdict to be "expected" and the
// live stream to be open; a screenshot is left in --out. (c) A second
// server whose one event stream (--dashboard-max-streams 1) is taken: the
// page must say the stream is full and follow it once it is free.
//
// Exit 0 when everything matched, 1 when anything did not, 77 when this
// machine lacks Chromium, certutil or playwright-core (a skip).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const chromium = require('./chromium.js');

const TOP = chromium.TOP;
const SKIP = 77;

const USAGE = `usage: browser-test.js [--shakedown BIN] [--out DIR] [--only NAMES]
                       [--timeout S] [--jobs N] [--no-dashboard] [--show]
  --shakedown BIN   the server (default build/shakedown)
  --out DIR         where the dashboard screenshot goes (default build/tests/browser)
  --only NAMES      comma-separated scenarios (default: all)
  --timeout S       seconds a navigation may take before it counts as a
                    timeout (default 10)
  --jobs N          navigations at once (default 4)
  --no-dashboard    check the scenarios only, not the dashboard
  --show            print what Chromium got for every entry`;

function parseArgs(argv) {
    const a = {
        shakedown: path.join(TOP, 'build', 'shakedown'),
        out: path.join(TOP, 'build', 'tests', 'browser'),
        only: null, timeout: 10, jobs: 4, dashboard: true, show: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            if (i + 1 >= argv.length) {
                console.error(argv[i] + ' needs a value\n' + USAGE);
                process.exit(2);
            }
            return argv[++i];
        };
        switch (argv[i]) {
        case '--shakedown': a.shakedown = path.resolve(value()); break;
        case '--out': a.out = path.resolve(value()); break;
        case '--only': a.only = value(); break;
        case '--timeout': a.timeout = Number(value()); break;
        case '--jobs': a.jobs = Math.max(1, Number(value()) | 0); break;
        case '--no-dashboard': a.dashboard = false; break;
        case '--show': a.show = true; break;
        case '-h': case '--help': console.log(USAGE); process.exit(0); break;
        default:
            console.error('unknown argument "' + argv[i] + '"\n' + USAGE);
            process.exit(2);
        }
    }
    if (!(a.timeout > 0)) {
        console.error('--timeout needs a number of seconds');
        process.exit(2);
    }
    return a;
}

function serverArgs(a) {
    const args = ['--scenarios', 'scenarios', '--certs', 'certs'];
    return a.only ? args.concat(['--only', a.only]) : args;
}

function catalogue(a) {
    const out = execFileSync(a.shakedown, ['--list', '--json'].concat(serverArgs(a)),
        { cwd: TOP, maxBuffer: 64 << 20 });
    return JSON.parse(out).scenarios;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The server as a child, its output in dir/server.log; resolves once its
// ports file exists (written atomically when every listener is bound).
async function serverStart(a, dir, args = serverArgs(a)) {
    const portsFile = path.join(dir, 'ports.json');
    const logPath = path.join(dir, 'server.log');
    const log = fs.openSync(logPath, 'w');
    const proc = spawn(a.shakedown,
        ['--ephemeral-ports', '--ports-file', portsFile].concat(args),
        { cwd: TOP, stdio: ['ignore', log, log] });
    const server = { proc, logPath, exitCode: null, ports: null };
    proc.on('exit', (code, signal) => {
        server.exitCode = code === null ? 128 : code;
        server.signal = signal;
    });
    const deadline = Date.now() + 15000;
    while (!fs.existsSync(portsFile)) {
        if (server.exitCode !== null)
            throw new Error('shakedown exited with ' + server.exitCode +
                ' before writing its ports file:\n' + fs.readFileSync(logPath, 'utf8'));
        if (Date.now() > deadline) {
            proc.kill('SIGKILL');
            throw new Error('shakedown wrote no ports file within 15 s');
        }
        await sleep(20);
    }
    server.ports = JSON.parse(fs.readFileSync(portsFile, 'utf8'));
    return server;
}

// SIGTERM, and the exit status (0 is a clean stop).
async function serverStop(server) {
    if (server.exitCode === null) {
        server.proc.kill('SIGTERM');
        const deadline = Date.now() + 10000;
        while (server.exitCode === null && Date.now() < deadline)
            await sleep(20);
        if (server.exitCode === null) {
            server.proc.kill('SIGKILL');
            while (server.exitCode === null)
                await sleep(20);
            return 'killed after 10 s';
        }
    }
    return server.exitCode;
}

function label(scenario, e) {
    return scenario.name + ' [expect.chromium' +
        (e.variant ? '.' + e.variant : '') + ']';
}

function urlFor(host, port) {
    return 'https://' + (host.includes(':') ? '[' + host + ']' : host) +
        ':' + port + '/';
}

// " || " separates alternatives, as in every other expectation.
function matches(e, r) {
    return e.exits.includes(r.exit) &&
        e.message.split(' || ').some((m) => r.message.includes(m));
}

// Runs fn over items, at most jobs at once, in order of start.
async function pool(items, jobs, fn) {
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const item = items[next++];
            await fn(item);
        }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}

class Tally {
    constructor() { this.passed = 0; this.failed = 0; this.skipped = 0; }
    ok(msg) { this.passed++; console.log('ok   ' + msg); }
    fail(msg, details = []) {
        this.failed++;
        console.log('FAIL ' + msg);
        for (const d of details)
            console.log('     ' + d);
    }
    skip(msg) { this.skipped++; console.log('skip ' + msg); }
}

// Part (a): each [expect.chromium] entry, navigated in a context of its own.
async function checkScenarios(a, browser, scenarios, port, plainPort, tally) {
    const checks = [];
    for (const s of scenarios) {
        const entries = s.expect.filter((e) => e.client === 'chromium');
        if (!(s.name in port)) {
            tally.skip(s.name + ': unavailable in this build: ' + s.unavailable_reason);
            continue;
        }
        if (entries.length === 0)
            tally.fail(s.name + ': no [expect.chromium] entry (' + s.file + ')');
        for (const e of entries)
            checks.push({ s, e });
    }
    // Entries expected to time out start first, so that their waits
    // overlap the quick ones instead of ending the run.
    const slow = ({ e }) => e.message.includes('timeout') ? 0 : 1;
    checks.sort((x, y) => slow(x) - slow(y));
    const started = Date.now();
    await pool(checks, a.jobs, async ({ s, e }) => {
        const url = urlFor(e.host || 'localhost', port[s.name]);
        // args: more URLs to visit after it, in the same page.
        const more = e.args.split(/\s+/).filter((u) => u).map((u) =>
            u.replace(/\{port\}/g, port[s.name]).replace(/\{plain_port\}/g, plainPort[s.name]));
        const context = await browser.newContext();
        let r;
        try {
            r = await chromium.visit(context, url, a.timeout * 1000, more);
        } finally {
            await context.close().catch(() => {});
        }
        const got = 'exit ' + r.exit + ': ' + r.message;
        if (matches(e, r)) {
            tally.ok(label(s, e) + ': ' + (a.show ? got : 'exit ' + r.exit));
        } else {
            tally.fail(label(s, e) + ' (' + s.file + ':' + e.line + ')', [
                'url:      ' + url,
                'expected: exit ' + e.exits.join(' or ') + ', message containing ' +
                    JSON.stringify(e.message),
                'got:      ' + got,
            ]);
        }
    });
    console.log('     ' + checks.length + ' navigations took ' +
        ((Date.now() - started) / 1000).toFixed(1) + ' s');
}

function browserExpect(s) {
    const e = s.expect.find((x) => x.client === 'chromium' && !x.variant);
    if (!e)
        return 'none';
    return e.exit === 0 ? 'connect' : 'refuse';
}

// Part (b): the dashboard's own live checks, run by its page script.
async function checkDashboard(a, browser, scenarios, server, tally) {
    const dash = server.ports.dashboard;
    if (!dash || !dash.url) {
        tally.fail('dashboard: the ports file has no "dashboard" entry with a url: ' +
            'this shakedown serves no dashboard (run with --no-dashboard to check ' +
            'the scenarios alone)');
        return;
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(String(err && err.message || err)));
    const started = Date.now();
    try {
        const response = await page.goto(dash.url, { timeout: 15000 });
        if (!response || response.status() !== 200) {
            tally.fail('dashboard: GET ' + dash.url + ' answered ' +
                (response ? response.status() : 'nothing'));
            return;
        }
        // Stalled scenarios end only by the page's own timeouts.
        const limit = 120000;
        try {
            await page.waitForSelector('#summary[data-done="true"]',
                { state: 'attached', timeout: limit });
        } catch (e) {
            const summary = await page.$eval('#summary', (el) => el.outerHTML)
                .catch(() => '(no #summary element)');
            tally.fail('dashboard: the live checks did not finish within ' +
                limit / 1000 + ' s', ['summary: ' + summary]);
        }
        console.log('     dashboard: live checks took ' +
            ((Date.now() - started) / 1000).toFixed(1) + ' s');
        await compareTiles(page, scenarios, server, tally);
        await checkScoreboard(page, server, tally);
        const stream = await page.$eval('#stream', (el) => el.dataset.state)
            .catch(() => '(no #stream element)');
        if (stream === 'open')
            tally.ok('dashboard: the live stream is open');
        else
            tally.fail('dashboard: the live stream is "' + stream + '", not open');
        if (pageErrors.length)
            tally.fail('dashboard: script errors on the page', pageErrors);
        else
            tally.ok('dashboard: no script errors on the page');
    } finally {
        fs.mkdirSync(a.out, { recursive: true });
        // The first screen, and the whole page (some 20,000 pixels tall).
        for (const [name, fullPage] of [['dashboard.png', false],
            ['dashboard-full.png', true]]) {
            const shot = path.join(a.out, name);
            try {
                await page.screenshot({ path: shot, fullPage });
                console.log('     dashboard screenshot: ' + shot);
            } catch (e) {
                console.log('     no dashboard screenshot ' + name + ': ' + e.message);
            }
        }
        await context.close().catch(() => {});
    }
}

// A family file of six scenarios or more (scenarios/alerts.ini) is folded
// into one <details> holding exactly its tiles, so the page stays readable.
async function compareFamilies(page, scenarios, tally) {
    const byFile = new Map();
    for (const s of scenarios)
        byFile.set(s.file, (byFile.get(s.file) || []).concat(s.name));
    const folded = await page.$$eval('details.family', (els) => els.map((el) => ({
        file: el.dataset.file,
        names: [...el.querySelectorAll('article.tile')].map((t) => t.dataset.scenario),
    })));
    const seen = new Map(folded.map((f) => [f.file, f.names]));
    for (const [file, names] of byFile) {
        const got = seen.get(file);
        if (names.length < 6) {
            if (got)
                tally.fail('dashboard: ' + file + ' (' + names.length + ' scenarios) is folded');
            continue;
        }
        if (!got)
            tally.fail('dashboard: the family ' + file + ' (' + names.length +
                ' scenarios) is not folded');
        else if (got.slice().sort().join() !== names.slice().sort().join())
            tally.fail('dashboard: the family ' + file + ' folds ' + got.length +
                ' tiles, not its ' + names.length + ' scenarios');
        else
            tally.ok('dashboard: ' + file + ' folds its ' + names.length + ' scenarios');
    }
}

async function compareTiles(page, scenarios, server, tally) {
    const tiles = await page.$$eval('article.tile', (els) => els.map((el) => ({
        name: el.dataset.scenario,
        intent: el.dataset.intent,
        expect: el.dataset.browserExpect,
        result: el.dataset.browserResult,
        verdict: el.dataset.verdict,
    })));
    const byName = new Map(tiles.map((t) => [t.name, t]));
    const available = new Set(server.ports.scenarios.map((s) => s.name));
    let checked = 0;
    for (const s of scenarios) {
        const t = byName.get(s.name);
        if (!t) {
            tally.fail('dashboard ' + s.name + ': no tile');
            continue;
        }
        byName.delete(s.name);
        const want = browserExpect(s);
        const problems = [];
        if (t.expect !== want)
            problems.push('data-browser-expect is "' + t.expect + '", the scenario says "' +
                want + '"');
        if (!available.has(s.name)) {
            if (t.result !== 'unavailable')
                problems.push('unavailable here, but data-browser-result is "' + t.result + '"');
            if (t.verdict === 'expected' || t.verdict === 'unexpected' || t.verdict === 'pending')
                problems.push('unavailable here, but data-verdict is "' + t.verdict + '"');
        } else if (want === 'none') {
            if (t.verdict !== 'untested')
                problems.push('no [expect.chromium], but data-verdict is "' + t.verdict + '"');
        } else {
            checked++;
            const result = want === 'connect' ? 'connected' : 'refused';
            if (t.verdict !== 'expected')
                problems.push('data-verdict is "' + t.verdict + '"');
            if (t.result !== result)
                problems.push('data-browser-result is "' + t.result + '", expected "' +
                    result + '"');
        }
        const what = 'dashboard ' + s.name + ': ' + t.expect + ', ' + t.result +
            ', ' + t.verdict;
        if (problems.length)
            tally.fail(what, problems);
        else
            tally.ok(what);
    }
    for (const name of byName.keys())
        tally.fail('dashboard: a tile for "' + name + '", which is no scenario here');
    await compareFamilies(page, scenarios, tally);
    const summary = await page.$eval('#summary', (el) => ({
        done: el.dataset.done, expected: el.dataset.expected,
        checked: el.dataset.checked, text: el.textContent.trim(),
    })).catch(() => null);
    if (!summary) {
        tally.fail('dashboard: no #summary');
        return;
    }
    const want = String(checked);
    if (summary.done === 'true' && summary.expected === want && summary.checked === want)
        tally.ok('dashboard summary: ' + summary.text);
    else
        tally.fail('dashboard summary: ' + JSON.stringify(summary),
            ['expected data-done="true", data-expected="' + want +
                '" and data-checked="' + want + '"']);
}

// The scoreboard: a connection made now (the page's own fetch) must come
// back on the live stream as a graded verdict on its tile.
async function checkScoreboard(page, server, tally) {
    const ports = new Map(server.ports.scenarios.map((s) => [s.name, s.port]));
    for (const [name, want] of [['valid', 'PASS'], ['expired', 'PASS']]) {
        if (!ports.has(name)) {
            tally.fail('scoreboard: no port for "' + name + '" in the ports file');
            continue;
        }
        const tile = 'article.tile[data-scenario="' + name + '"] .score';
        await page.evaluate((url) => fetch(url, { mode: 'cors', cache: 'no-store' })
            .catch(() => null), 'https://localhost:' + ports.get(name) + '/shakedown-probe');
        try {
            await page.waitForSelector(tile + '[data-grade="' + want + '"]',
                { state: 'attached', timeout: 10000 });
            const text = await page.$eval(tile, (el) => el.textContent.trim());
            tally.ok('scoreboard ' + name + ': ' + text);
        } catch (e) {
            const got = await page.$eval(tile, (el) => el.dataset.grade + ': ' +
                el.textContent.trim()).catch(() => '(no .score element)');
            tally.fail('scoreboard ' + name + ': not graded ' + want + ' within 10 s',
                ['the tile says ' + got]);
        }
    }
    const board = await page.$eval('#scoreboard', (el) => ({
        pass: Number(el.dataset.pass), text: el.textContent.trim() }))
        .catch(() => null);
    if (board && board.pass >= 2)
        tally.ok('scoreboard: ' + board.text);
    else
        tally.fail('scoreboard: ' + JSON.stringify(board), ['expected data-pass >= 2']);
}

// A second server whose one event stream is taken: the page must say the
// stream is full, and follow it once the stream is free again.
async function checkStreamCap(a, browser, dir, tally) {
    const net = require('net');
    const capDir = fs.mkdtempSync(path.join(dir, 'cap-'));
    const server = await serverStart(a, capDir, ['--scenarios', 'scenarios',
        '--certs', 'certs', '--only', 'valid', '--dashboard-max-streams', '1']);
    const dash = server.ports.dashboard;
    const held = net.connect(dash.port, '127.0.0.1');
    held.on('error', () => {});
    await new Promise((resolve) => held.once('connect', resolve));
    held.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => held.once('data', resolve));
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
        await page.goto(dash.url, { timeout: 15000 });
        await page.waitForSelector('#stream[data-state="refused"]',
            { state: 'attached', timeout: 15000 });
        const text = await page.$eval('#stream', (el) => el.textContent);
        if (/full/.test(text) && /trying again in 5 s/.test(text))
            tally.ok('dashboard at --dashboard-max-streams: "' + text + '"');
        else
            tally.fail('dashboard at --dashboard-max-streams says "' + text + '"');
        held.destroy();
        await page.waitForSelector('#stream[data-state="open"]',
            { state: 'attached', timeout: 20000 });
        tally.ok('dashboard: the stream followed once it was free');
    } catch (e) {
        const state = await page.$eval('#stream', (el) => el.dataset.state + ': ' +
            el.textContent).catch(() => '(no #stream element)');
        tally.fail('dashboard at --dashboard-max-streams: ' + e.message.split('\n')[0],
            ['#stream ' + state]);
    } finally {
        held.destroy();
        await context.close().catch(() => {});
        const code = await serverStop(server);
        if (code !== 0)
            tally.fail('the capped shakedown exited with ' + code + ' after SIGTERM');
    }
}

function tail(file, lines) {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
}

async function main() {
    const a = parseArgs(process.argv.slice(2));
    const lacking = chromium.missing();
    if (lacking.length) {
        console.log('skip: the browser test needs ' + lacking.join(', '));
        return SKIP;
    }
    const started = Date.now();
    const scenarios = catalogue(a);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shakedown-browser-'));
    const tally = new Tally();
    let server = null, browser = null, home = null;
    // Interrupted (by ctest's timeout, say): leave no server or directory
    // behind. Playwright ends its browser on exit by itself.
    process.on('exit', () => {
        if (server && server.exitCode === null)
            server.proc.kill('SIGKILL');
        if (home)
            chromium.homeRemove(home);
        fs.rmSync(dir, { recursive: true, force: true });
    });
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]])
        process.on(sig, () => process.exit(code));
    try {
        server = await serverStart(a, dir);
        const port = Object.fromEntries(server.ports.scenarios.map((s) => [s.name, s.port]));
        const plainPort = Object.fromEntries(server.ports.scenarios.map((s) =>
            [s.name, s.plain_port]));
        // Read after the server started: it serves the PKI of that moment.
        home = chromium.homeNew(path.join(TOP, 'certs', 'ca.pem'));
        const hosts = [];
        for (const s of scenarios)
            for (const e of s.expect)
                if (e.client === 'chromium') {
                    hosts.push(e.host || 'localhost');
                    for (const u of e.args.split(/\s+/).filter((x) => x))
                        hosts.push(new URL(u.replace(/\{(plain_)?port\}/g, '1')).hostname);
                }
        browser = await chromium.launch(home, chromium.resolverRules(hosts));
        console.log('     ' + browser.version() + ', ' + server.ports.scenarios.length +
            ' scenarios served');
        await checkScenarios(a, browser, scenarios, port, plainPort, tally);
        if (a.dashboard) {
            await checkDashboard(a, browser, scenarios, server, tally);
            await checkStreamCap(a, browser, dir, tally);
        }
    } finally {
        if (browser)
            await browser.close().catch(() => {});
        if (home)
            chromium.homeRemove(home);
        home = null;
        if (server) {
            const code = await serverStop(server);
            if (code !== 0)
                tally.fail('shakedown exited with ' + code + ' after SIGTERM');
            if (tally.failed) {
                console.log('---- server log (last 200 lines) ----');
                console.log(tail(server.logPath, 200));
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log('     took ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
    console.log(tally.passed + ' passed, ' + tally.failed + ' failed' +
        (tally.skipped ? ', ' + tally.skipped + ' skipped' : ''));
    if (tally.failed)
        return 1;
    return tally.passed === 0 ? SKIP : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.error('browser test: ' + (e && e.stack || e));
    process.exit(1);
});
