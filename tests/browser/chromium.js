// Debian's Chromium, headless, trusting the shakedown test CA the way a
// desktop Chromium on Linux does: through the NSS database in $HOME/.pki.
// Shared by tests/clients/chromium-probe and the browser test.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const TOP = path.resolve(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const PLAYWRIGHT = path.join(__dirname, 'node_modules', 'playwright-core');
const CA_NICKNAME = 'shakedown-test-ca';

function onPath(command) {
    return (process.env.PATH || '').split(':').some((dir) => {
        try {
            fs.accessSync(path.join(dir || '.', command), fs.constants.X_OK);
            return true;
        } catch (e) {
            return false;
        }
    });
}

// What this machine lacks to run Chromium here, as readable reasons;
// empty when everything is in place.
function missing() {
    const out = [];
    if (!fs.existsSync(CHROMIUM))
        out.push(CHROMIUM + ' (Debian package chromium)');
    if (!onPath('certutil'))
        out.push('certutil (Debian package libnss3-tools)');
    if (!fs.existsSync(path.join(PLAYWRIGHT, 'package.json')))
        out.push(PLAYWRIGHT + ' (scripts/setup.sh --browser)');
    return out;
}

// A fresh temporary HOME whose NSS database trusts caPath as a CA for TLS
// servers ("C,,"). The certificate errors Chromium reports are then the
// scenarios' own, not "unknown issuer"; nothing is ignored.
function homeNew(caPath) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'shakedown-chromium-'));
    const db = path.join(home, '.pki', 'nssdb');
    fs.mkdirSync(db, { recursive: true });
    const run = (args) => execFileSync('certutil', args, { stdio: 'pipe' });
    run(['-N', '-d', 'sql:' + db, '--empty-password']);
    run(['-A', '-d', 'sql:' + db, '-n', CA_NICKNAME, '-t', 'C,,',
        '-i', caPath]);
    return home;
}

function homeRemove(home) {
    fs.rmSync(home, { recursive: true, force: true });
}

// Host names other than localhost and IP literals are mapped to the
// loopback address shakedown listens on (what curl's --resolve does in the
// catalogue's curl commands).
function resolverRules(hosts) {
    const names = [...new Set(hosts)].filter((h) =>
        h && h !== 'localhost' && !/^[0-9.]+$/.test(h) && !h.includes(':'));
    return names.map((h) => 'MAP ' + h + ' 127.0.0.1').join(', ');
}

// One headless Chromium. Playwright gives it a fresh --user-data-dir of
// its own (it refuses one in args) and removes it on close; HOME points at
// the NSS database made by homeNew.
async function launch(home, rules) {
    const { chromium } = require(PLAYWRIGHT);
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const args = [
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
    ];
    if (root)
        args.push('--no-sandbox');
    if (rules)
        args.push('--host-resolver-rules=' + rules);
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        chromiumSandbox: !root,
        args,
        env: { ...process.env, HOME: home },
    });
}

// Navigates a new page of context to url and reports what a user would
// see: { exit: 0, message: 'HTTP 200: first line' }, or { exit: 1,
// message: 'net::ERR_...' }, or, when nothing comes within timeoutMs,
// { exit: 1, message: 'timeout: ...' } (Chromium itself gives a stalled
// TLS handshake 30 s, and a stalled response far longer).
// Opens url (then each of more, in the same page: a second visit after
// the first set HSTS) and says what the last one got: "HTTP STATUS: the
// body's first line" (or, for an HTML page, its <title>), with a line
// "console: ..." for each Mixed Content message the browser logged.
async function visit(context, url, timeoutMs, more = []) {
    const page = await context.newPage();
    const mixed = [];
    page.on('console', (msg) => {
        if (msg.text().includes('Mixed Content'))
            mixed.push('console: ' + msg.text());
    });
    try {
        let response = null;
        for (const u of [url].concat(more)) {
            url = u;
            response = await page.goto(u, { timeout: timeoutMs });
            if (response === null)
                return { exit: 1, message: 'no response for ' + u };
        }
        let first;
        try {
            const body = await response.text();
            const title = body.match(/<title>([^<]*)<\/title>/);
            first = title ? title[1].trim() : body.split('\n')[0].trim();
        } catch (e) {
            // A page that moved on by itself (a form it submitted).
            first = '(the page went on to ' + page.url() + ')';
        }
        // What an HTML page loads after its load event: a moment for it.
        if ((response.headers()['content-type'] || '').startsWith('text/html'))
            await page.waitForTimeout(300);
        return { exit: 0, message: ['HTTP ' + response.status() + ': ' + first]
            .concat(mixed).join('\n') };
    } catch (e) {
        const text = String(e && e.message || e);
        const net = text.match(/net::ERR_[A-Z0-9_]+/);
        if (net)
            return { exit: 1, message: net[0] + ' at ' + url };
        if (e && e.name === 'TimeoutError')
            return { exit: 1, message: 'timeout: no response from ' + url +
                ' within ' + timeoutMs / 1000 + ' s' };
        return { exit: 1, message: text.split('\n')[0] };
    } finally {
        await page.close().catch(() => {});
    }
}

module.exports = {
    TOP, CHROMIUM, missing, homeNew, homeRemove, resolverRules, launch, visit,
};
