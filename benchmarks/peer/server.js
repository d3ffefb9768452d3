/*
 * The peer of benchmarks/hop_cost.py: a USSD menu written the way ussd-builder's README shows,
 * so the hotline's hop cost can be compared with a Node menu library on the same machine.
 *
 * A 3-state menu of the same shape as the hotline's first hop: the start state answers CON with
 * three options; option 1 leads to a state answering CON (a prompt for free text) and stores the
 * choice in the session; the third state answers END. Africa's Talking's form (sessionId,
 * serviceCode, phoneNumber, text) in, text/plain `CON ...` / `END ...` out. Sessions live in
 * memory through menu.sessionConfig, as the README's "local memory" example does. No request
 * logging (the hotline's per-request log line is part of its own cost, not of the peer's).
 *
 * One UssdMenu instance serves every request, as in the README: menu.run keeps the request in
 * the instance (args, onResult), which is safe here only because every session call is
 * synchronous, so a request's answer is produced before the next request's handler runs.
 *
 *     node benchmarks/peer/server.js --port 18300 [--host 127.0.0.1]
 */
'use strict';

const express = require('express');
const UssdMenu = require('ussd-builder');

function option(name, fallback) {
    const at = process.argv.indexOf(name);
    return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const sessions = {};
const menu = new UssdMenu();

menu.sessionConfig({
    start: (sessionId, callback) => {
        if (!(sessionId in sessions)) sessions[sessionId] = {};
        callback();
    },
    end: (sessionId, callback) => {
        delete sessions[sessionId];
        callback();
    },
    set: (sessionId, key, value, callback) => {
        sessions[sessionId][key] = value;
        callback();
    },
    get: (sessionId, key, callback) => {
        callback(null, sessions[sessionId][key]);
    },
});

menu.startState({
    run: () => {
        menu.con('Hotline PMI Serang' +
            '\n1 Cek perusahaan' +
            '\n2 Kerja aman' +
            '\n3 Keluar');
    },
    next: {
        '1': 'check',
        '2': 'bye',
        '3': 'bye',
    },
});

menu.state('check', {
    run: () => {
        menu.session.set('topic', 'check').then(() => {
            menu.con('Ketik nama perusahaan atau nomor izin:\n0 Kembali');
        });
    },
    next: {
        '0': '__start__',
        '*.+': 'bye',
    },
});

menu.state('bye', {
    run: () => {
        menu.end('Terima kasih. Hotline PMI Serang.');
    },
});

menu.on('error', (err) => {
    console.error('ussd-builder error:', err && err.message);
});

const app = express();
app.disable('x-powered-by');
app.use(express.urlencoded({ extended: false }));

app.post('/at/ussd', (req, res) => {
    const body = req.body || {};
    if (!body.sessionId) {
        res.type('text/plain').send('END missing sessionId');
        return;
    }
    const args = {
        phoneNumber: body.phoneNumber,
        sessionId: body.sessionId,
        serviceCode: body.serviceCode,
        Operator: body.networkCode || body.Operator,
        text: body.text || '',
    };
    menu.run(args, (message) => {
        res.type('text/plain').send(message);
    });
});

app.get('/healthz', (req, res) => {
    res.type('text/plain').send('ok\n');
});

const server = app.listen(Number(option('--port', '18300')), option('--host', '127.0.0.1'));
// Like the hotline (HOTLINE_HEADER_TIMEOUT_S, 10 s), keep idle keep-alive connections a while.
server.keepAliveTimeout = 10000;

for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => server.close(() => process.exit(0)));
}
