#!/usr/bin/env bash
# Benchmarks shakedown against nginx (issue #6): handshake rate and latency
# for three TLS cases, at one worker and at workers = cores; the wolfCrypt
# and OpenSSL crypto ceilings; memory with 10,000 stalled and with many
# idle TLS connections; start-up time with 200 scenarios; the dashboard's
# event streams, 500 viewers while the scenarios take 2,000 connections
# per second (issue #17). Everything it writes goes to bench/out/; the
# summary is bench/out/summary.md.
#
# Usage: bench/run.sh [--quick] [--rounds R] [-n N] [-c C] [--shakedown BIN]
#                     [--client wolfssl|openssl] [--only-handshakes]
#                     [--only-viewers] [--viewers N] [--viewer-rate R]
#                     [--viewer-seconds S] [--viewer-load tcp|tls|both]
#                     [--no-install]
#   --quick           a short smoke run (1 round, few connections, small scale)
#   --rounds R        A/B rounds per case (default 5)
#   -n N, -c C        connections per run and concurrency (default 3000, 32)
#   --shakedown BIN   the server binary (default build/shakedown)
#   --client LIB      the load generator's TLS library: wolfssl (default, the
#                     server's own build) or openssl (Debian's libssl)
#   --only-handshakes skip the crypto, scale, start-up and viewers parts
#   --only-viewers    only the dashboard's event streams (no nginx; ~1 min)
#   --viewers N       event-stream viewers (default 500)
#   --viewer-rate R   connections per second to a scenario meanwhile (2000)
#   --viewer-seconds S  how long that load lasts (default 10)
#   --viewer-load L   a load connection is: tcp (a connect to
#                     reset-on-accept, read until the reset: the figures of
#                     record), tls (a handshake and GET / on valid), or
#                     both (default), each against a fresh server
#   --no-install      fail instead of installing nginx when it is missing
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out="$here/out"
cd "$top"

quick=0
rounds=""
n=""
conc=32
shakedown="$top/build/shakedown"
only_handshakes=0
only_viewers=0
viewers=500
viewer_rate=2000
viewer_seconds=10
viewer_load=both
install=1
client=wolfssl

usage() { sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?--rounds needs a value}; shift ;;
    -n) n=${2:?-n needs a value}; shift ;;
    -c) conc=${2:?-c needs a value}; shift ;;
    --shakedown) shakedown=$(realpath "${2:?--shakedown needs a value}"); shift ;;
    --client) client=${2:?--client needs a value}; shift
      case "$client" in wolfssl|openssl) ;; *) echo "run.sh: --client is wolfssl or openssl" >&2; exit 2 ;; esac ;;
    --only-handshakes) only_handshakes=1 ;;
    --only-viewers) only_viewers=1 ;;
    --viewers) viewers=${2:?--viewers needs a value}; shift ;;
    --viewer-rate) viewer_rate=${2:?--viewer-rate needs a value}; shift ;;
    --viewer-seconds) viewer_seconds=${2:?--viewer-seconds needs a value}; shift ;;
    --viewer-load) viewer_load=${2:?--viewer-load needs a value}; shift
      case "$viewer_load" in tcp|tls|both) ;; *) echo "run.sh: --viewer-load is tcp, tls or both" >&2; exit 2 ;; esac ;;
    --no-install) install=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# The scale of each part; --quick shrinks every one.
stall_n=10000
idle_n=2000
startup_scenarios=200
startup_runs=7
stime_seconds=5
speed_seconds=2
crypto_seconds=1
if [ "$quick" -eq 1 ]; then
  rounds=${rounds:-1}; n=${n:-300}; stall_n=1000; idle_n=200; startup_runs=3
  stime_seconds=1; speed_seconds=1; crypto_seconds=0.2
  viewer_seconds=3
fi
rounds=${rounds:-5}
n=${n:-3000}

cores=$(nproc)
results="$out/results.txt"
mkdir -p "$out"
: >"$results"
started=$(date +%s)

log() { printf '== bench: %s\n' "$*" >&2; }
record() { printf '%s\n' "$*" >>"$results"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- processes we start, and their end ---------------------------------

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() { # PID: SIGTERM, wait, forget
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

wait_for_file() { # FILE SECONDS PID
  local i
  for ((i = 0; i < $2 * 100; i++)); do
    [ -s "$1" ] && return 0
    kill -0 "$3" 2>/dev/null || { log "process $3 exited before writing $1"; return 1; }
    sleep 0.01
  done
  log "no $1 after $2 s"; return 1
}

# CPU time (ns) of PID, its threads and its child processes (nginx workers).
cpu_ns() {
  local total=0 p t a rest
  for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
    for t in /proc/"$p"/task/*/schedstat; do
      read -r a rest 2>/dev/null <"$t" || continue
      total=$((total + a))
    done
  done
  echo "$total"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

port_of() { # PORTS_FILE NAME
  python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(next(s["port"] for s in d["scenarios"] if s["name"] == sys.argv[2]))' "$1" "$2"
}

# ---- prerequisites -----------------------------------------------------

machine() {
  local model
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  record "machine nproc=$cores cpu=\"$model\" kernel=$(uname -r)" \
    "load_at_start=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" \
    "date=$(date -u +%Y-%m-%dT%H:%MZ) quick=$quick rounds=$rounds n=$n c=$conc"
}

ensure_nginx() {
  command -v nginx >/dev/null 2>&1 && return 0
  [ "$install" -eq 1 ] || { log "nginx is missing (and --no-install)"; exit 1; }
  log "installing nginx from Debian"
  local was_running=0
  [ -s /run/nginx.pid ] && was_running=1
  as_root apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q nginx >&2
  # The package may start the system service; this benchmark runs its own.
  if [ "$was_running" -eq 0 ] && [ -s /run/nginx.pid ]; then
    as_root kill "$(cat /run/nginx.pid)" 2>/dev/null || true
  fi
}

ensure_shakedown() {
  if [ ! -x "$shakedown" ]; then
    log "no $shakedown: running scripts/setup.sh"
    ./scripts/setup.sh >&2
  fi
  [ -x "$shakedown" ] || { log "still no $shakedown"; exit 1; }
}

# The wolfSSL prefix shakedown was linked against: its CMake cache says,
# else a complete private build under build/deps.
wolfssl_prefix() {
  local cache prefix
  cache="$(dirname "$shakedown")/CMakeCache.txt"
  if [ -f "$cache" ]; then
    prefix=$(sed -n 's/^SHAKEDOWN_WOLFSSL_PREFIX:PATH=//p' "$cache")
    [ -n "$prefix" ] && [ -f "$prefix/lib/libwolfssl.a" ] && { echo "$prefix"; return; }
  fi
  prefix=""
  local d
  for d in "$top"/build/deps/wolfssl-5.5.4-*/; do
    [ -f "$d/.complete" ] && prefix=${d%/}
  done
  [ -n "$prefix" ] || { log "no private wolfSSL build: run ./scripts/setup.sh"; exit 1; }
  echo "$prefix"
}

# Two builds of one tool: shakebench links the server's wolfSSL (and has
# the wolfCrypt benchmark); shakebench-openssl links Debian's libssl. The
# two libraries cannot share a binary: wolfSSL's compatibility layer
# defines some of libssl's symbols.
warnings=(-std=c11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2)
build_shakebench() {
  local prefix
  prefix=$(wolfssl_prefix)
  log "building bench/out/shakebench against $prefix"
  cc "${warnings[@]}" -DSHAKEBENCH_SPEED -isystem "$prefix/include" \
    "$here/shakebench.c" "$here/tlsc_wolfssl.c" "$here/speed.c" \
    -o "$out/shakebench" "$prefix/lib/libwolfssl.a" -lm -lpthread
  record "wolfssl prefix=$prefix"
  loadgen="$out/shakebench"
  [ "$client" = openssl ] || return 0
  if ! pkg-config --exists openssl; then
    [ "$install" -eq 1 ] || { log "libssl-dev is missing (and --no-install)"; exit 1; }
    as_root apt-get install -y -q libssl-dev >&2
  fi
  log "building bench/out/shakebench-openssl"
  # shellcheck disable=SC2046
  cc "${warnings[@]}" "$here/shakebench.c" "$here/tlsc_openssl.c" \
    -o "$out/shakebench-openssl" $(pkg-config --cflags --libs openssl) -lpthread
  loadgen="$out/shakebench-openssl"
}

# ---- the cases ----------------------------------------------------------

# name | shakedown scenario | load generator options | nginx protocol, ciphers, cert stem
cases=(
  "tls13-rsa|bench-tls13-rsa|--tls 1.3 --group x25519 --ciphers TLS13-AES128-GCM-SHA256|TLSv1.3|TLS_AES_128_GCM_SHA256|leaf"
  "tls13-ecdsa|bench-tls13-ecdsa|--tls 1.3 --group x25519 --ciphers TLS13-AES128-GCM-SHA256|TLSv1.3|TLS_AES_128_GCM_SHA256|leaf-ecdsa"
  "tls12-rsa|bench-tls12-rsa|--tls 1.2 --group x25519 --ciphers ECDHE-RSA-AES128-GCM-SHA256|TLSv1.2|ECDHE-RSA-AES128-GCM-SHA256|leaf"
)

nginx_server_block() { # PORT PROTOCOL CIPHERS STEM
  local tls13=""
  if [ "$2" = TLSv1.3 ]; then
    tls13="ssl_conf_command Ciphersuites $3;"
  else
    tls13="ssl_ciphers $3;"
  fi
  cat "certs/$4.pem" "certs/intermediate.pem" >"$out/nginx/$4-chain.pem"
  cat <<EOF
    server {
        listen 127.0.0.1:$1 ssl;
        ssl_certificate     $out/nginx/$4-chain.pem;
        ssl_certificate_key $top/certs/$4.key;
        ssl_protocols $2;
        $tls13
        ssl_ecdh_curve X25519:prime256v1;
        location / { return 200 "nginx bench\n"; }
    }
EOF
}

nginx_config() { # WORKERS PORTS...
  local workers=$1; shift
  cat <<EOF
# Generated by bench/run.sh; see bench/README.md.
worker_processes $workers;
worker_rlimit_nofile 20000;
daemon off;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $out/nginx/tmp/body;
    proxy_temp_path $out/nginx/tmp/proxy;
    fastcgi_temp_path $out/nginx/tmp/fastcgi;
    uwsgi_temp_path $out/nginx/tmp/uwsgi;
    scgi_temp_path $out/nginx/tmp/scgi;
    ssl_session_cache off;
    ssl_session_tickets off;
    default_type text/plain;
EOF
  local i=0 spec name scen opts proto ciphers stem
  for spec in "${cases[@]}"; do
    IFS='|' read -r name scen opts proto ciphers stem <<<"$spec"
    nginx_server_block "$1" "$proto" "$ciphers" "$stem"
    shift; i=$((i + 1))
  done
  echo "}"
}

sd_help=""
sd_flags() { # WORKERS [dashboard]: options every bench shakedown gets
  local flags=(--no-dashboard)
  grep -q -- '--no-dashboard' <<<"$sd_help" || flags=()
  [ "${2:-}" = dashboard ] && flags=()
  if grep -q -- '--workers' <<<"$sd_help"; then
    flags+=(--workers "$1")
  fi
  grep -q -- '--drain-timeout' <<<"$sd_help" && flags+=(--drain-timeout 1)
  echo "${flags[@]}"
}

sd_pid=""
sd_ports=""
start_shakedown() { # WORKERS LOG ARGS...
  local workers=$1 logf=$2; shift 2
  sd_ports="$out/shakedown-ports.json"
  rm -f "$sd_ports"
  # shellcheck disable=SC2046
  "$sd_bin" $(sd_flags "$workers") --ephemeral-ports --ports-file "$sd_ports" \
    "$@" >"$logf" 2>&1 &
  sd_pid=$!
  pids+=("$sd_pid")
  wait_for_file "$sd_ports" 30 "$sd_pid"
}

ng_pid=""
start_nginx() { # WORKERS PORTS...
  local workers=$1; shift
  mkdir -p "$out/nginx/tmp"
  nginx_config "$workers" "$@" >"$out/nginx/nginx.conf"
  rm -f "$out/nginx/nginx.pid"
  nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
  ng_pid=$!
  pids+=("$ng_pid")
  wait_for_file "$out/nginx/nginx.pid" 10 "$ng_pid"
  # Wait until every worker is up and the first port answers.
  local i
  for ((i = 0; i < 200; i++)); do
    [ "$(ps -o pid= --ppid "$ng_pid" | wc -l)" -ge "$workers" ] && break
    sleep 0.01
  done
}

# One load run: prints the shakebench line with the server's CPU time.
load_run() { # SERVER_PID PORT OPTS N
  local pid=$1 port=$2 opts=$3 count=$4 c0 c1 line rc=0
  c0=$(cpu_ns "$pid")
  # shellcheck disable=SC2086
  line=$("$loadgen" load --port "$port" --ca certs/ca.pem $opts \
    -n "$count" -c "$conc") || rc=$?
  c1=$(cpu_ns "$pid")
  [ -n "$line" ] || line="load ok=0 errors=$count hs_per_s=0"
  echo "$line server_cpu_ms=$(((c1 - c0) / 1000000)) rc=$rc"
}

handshakes() { # WORKERS
  local workers=$1 sd_workers=1 spec name scen opts proto ciphers stem
  grep -q -- '--workers' <<<"$sd_help" && sd_workers=$workers
  local nports=() p
  for spec in "${cases[@]}"; do
    p=$("$out/shakebench" freeport); nports+=("$p")
  done
  # The trace of ~100,000 connections would fill the disk; nginx has no
  # access log either. Formatting it still costs shakedown its CPU.
  start_shakedown "$workers" /dev/null --scenarios bench/scenarios
  start_nginx "$workers" "${nports[@]}"
  record "servers workers=$workers shakedown_workers=$sd_workers nginx_workers=$workers"
  local i=0 sports=()
  for spec in "${cases[@]}"; do
    IFS='|' read -r name scen opts proto ciphers stem <<<"$spec"
    sports+=("$(port_of "$sd_ports" "$scen")")
    # Warm-up: the first connections pay for lazy initialisation.
    load_run "$sd_pid" "${sports[$i]}" "$opts" 50 >/dev/null
    load_run "$ng_pid" "${nports[$i]}" "$opts" 50 >/dev/null
    i=$((i + 1))
  done
  local r line
  for ((r = 1; r <= rounds; r++)); do
    i=0
    for spec in "${cases[@]}"; do
      IFS='|' read -r name scen opts proto ciphers stem <<<"$spec"
      line=$(load_run "$sd_pid" "${sports[$i]}" "$opts" "$n")
      record "$line server=shakedown case=$name workers=$workers round=$r"
      log "round $r/$rounds $name workers=$workers shakedown: $(cut -d' ' -f2-13 <<<"$line")"
      line=$(load_run "$ng_pid" "${nports[$i]}" "$opts" "$n")
      record "$line server=nginx case=$name workers=$workers round=$r"
      log "round $r/$rounds $name workers=$workers nginx:     $(cut -d' ' -f2-13 <<<"$line")"
      i=$((i + 1))
    done
  done
  [ "$workers" -eq 1 ] && s_time_all "${sports[@]}" "${nports[@]}"
  stop "$sd_pid"; stop "$ng_pid"
}

# openssl s_time -new: an independent client, one connection at a time.
s_time_one() { # PORT PROTOCOL CIPHERS
  local args=(-connect "127.0.0.1:$1" -new -time "$stime_seconds")
  if [ "$2" = TLSv1.3 ]; then args+=(-tls1_3 -ciphersuites "$3"); else args+=(-tls1_2 -cipher "$3"); fi
  local t0 t1 text count
  t0=$(date +%s%N)
  text=$(openssl s_time "${args[@]}" 2>&1 || true)
  t1=$(date +%s%N)
  count=$(sed -n 's/^\([0-9][0-9]*\) connections in .*user sec.*/\1/p' <<<"$text" | head -n 1)
  [ -n "$count" ] || { log "s_time failed: $(tail -n 3 <<<"$text")"; count=0; }
  awk -v c="$count" -v ns="$((t1 - t0))" 'BEGIN { printf "%d %.1f", c, c / (ns / 1e9) }'
}

s_time_all() { # SHAKEDOWN_PORTS... NGINX_PORTS...
  local ports=("$@") k=${#cases[@]} i=0 spec name scen opts proto ciphers stem res
  for spec in "${cases[@]}"; do
    IFS='|' read -r name scen opts proto ciphers stem <<<"$spec"
    res=$(s_time_one "${ports[$i]}" "$proto" "$ciphers")
    record "stime server=shakedown case=$name connections=${res% *} conn_per_s=${res#* }"
    res=$(s_time_one "${ports[$((i + k))]}" "$proto" "$ciphers")
    record "stime server=nginx case=$name connections=${res% *} conn_per_s=${res#* }"
    i=$((i + 1))
  done
}

# ---- crypto ceilings ----------------------------------------------------

crypto() {
  log "wolfCrypt speed (per CPU second)"
  record "$("$out/shakebench" crypto --certs certs --seconds "$crypto_seconds")"
  log "openssl speed"
  local text
  text=$(openssl speed -seconds "$speed_seconds" rsa2048 ecdsap256 ecdhx25519 2>/dev/null)
  record "openssl_speed $(awk '
    /^rsa 2048 bits/ { printf "rsa2048_sign=%s rsa2048_verify=%s ", $6, $7 }
    /ecdsa \(nistp256\)/ { printf "ecdsa_p256_sign=%s ecdsa_p256_verify=%s ", $(NF-1), $NF }
    /ecdh \(X25519\)/ { printf "ecdh_x25519=%s ", $NF }' <<<"$text")"
}

# ---- scale: stalled and idle connections, start-up ---------------------

hold_and_measure() { # KIND PORT MODE COUNT
  local ready="$out/hold-ready" hold_pid before after hwm line
  rm -f "$ready"
  before=$(rss_kb "$sd_pid")
  "$out/shakebench" hold --port "$2" --ca certs/ca.pem --mode "$3" -n "$4" -c 16 \
    --seconds 600 --ready-file "$ready" >"$out/hold.out" 2>"$out/hold.err" &
  hold_pid=$!
  pids+=("$hold_pid")
  wait_for_file "$ready" 120 "$hold_pid"
  sleep 1 # let the server finish reading what was sent
  after=$(rss_kb "$sd_pid"); hwm=$(hwm_kb "$sd_pid")
  stop "$hold_pid"
  line=$(cat "$out/hold.out")
  record "$1 $line rss_before_kb=$before rss_kb=$after hwm_kb=$hwm" \
    "per_conn_bytes=$(((after - before) * 1024 / $4))"
  log "$1: $line; server RSS ${before} kB -> ${after} kB"
}

scale() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  local limit
  limit=$(ulimit -n)
  [ "$limit" -gt $((stall_n + 100)) ] || log "warning: ulimit -n is $limit"
  local sc="--scenarios scenarios/stall-after-client-hello.ini"
  # shellcheck disable=SC2086
  start_shakedown 1 "$out/shakedown-stall.log" $sc \
    --max-connections $((stall_n + 1000)) --max-stall 300 --handshake-timeout 300
  hold_and_measure stall "$(port_of "$sd_ports" stall-after-client-hello)" hello "$stall_n"
  stop "$sd_pid"
  # Idle TLS connections: warm up on a closing scenario, then hold.
  start_shakedown 1 "$out/shakedown-idle.log" \
    --scenarios scenarios/stall-after-handshake.ini \
    --scenarios bench/scenarios/tls13-rsa.ini \
    --max-connections $((idle_n + 1000)) --max-stall 300 --idle-timeout 300
  load_run "$sd_pid" "$(port_of "$sd_ports" bench-tls13-rsa)" "--tls 1.3" 100 >/dev/null
  hold_and_measure idle "$(port_of "$sd_ports" stall-after-handshake)" handshake "$idle_n"
  stop "$sd_pid"
}

startup() {
  local dir="$out/startup-scenarios" i
  rm -rf "$dir"; mkdir -p "$dir"
  for ((i = 1; i <= startup_scenarios; i++)); do
    sed -e "s/^name\( *\)= valid\$/name\1= valid-$(printf %03d "$i")/" \
      -e "s/^port\( *\)= .*/port\1= $((30000 + i))/" \
      scenarios/valid.ini >"$dir/valid-$(printf %03d "$i").ini"
  done
  log "start-up with $startup_scenarios scenarios"
  # shellcheck disable=SC2046
  record "$("$out/shakebench" startup --ports-file "$out/startup-ports.json" \
    --runs "$startup_runs" --log "$out/shakedown-startup.log" -- \
    "$sd_bin" $(sd_flags 1) --scenarios "$dir" --ephemeral-ports \
    --ports-file "$out/startup-ports.json") scenarios=$startup_scenarios"
}

# ---- the dashboard's event streams (issue #17) -------------------------

dashboard_port_of() { # PORTS_FILE
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dashboard"]["port"])' "$1"
}

# One case: a fresh shakedown with its dashboard, $viewers streams on it,
# and the load on one scenario; the server's memory idle, with the streams
# open, at its highest under the load (sampled, and VmHWM), and after.
viewers_case() { # LOAD(tcp|tls) SCENARIO HOST
  local kind=$1 scen=$2 host=$3 ready="$out/viewers-ready" cap_flags=() cap=none
  local n=$viewers vpid idle streams peak=0 r after hwm c0 c1 t0 t1 line rc=0
  if grep -q -- '--dashboard-max-streams' <<<"$sd_help"; then
    cap=$((n + 100)); cap_flags=(--dashboard-max-streams "$cap")
  else
    # An older dashboard: no stream cap option, and 256 clients in all.
    [ "$n" -le 200 ] || { log "viewers: shakedown has no --dashboard-max-streams: 200 viewers, not $n"; n=200; }
  fi
  sd_ports="$out/shakedown-ports.json"
  rm -f "$sd_ports" "$ready"
  # The trace (4 lines per connection, 2,000 a second) goes nowhere, as in
  # the handshake runs; shakebench reports the streams the server cut.
  # shellcheck disable=SC2046
  "$sd_bin" $(sd_flags 1 dashboard) --ephemeral-ports --ports-file "$sd_ports" \
    --scenarios scenarios --only "$scen" "${cap_flags[@]}" >/dev/null 2>&1 &
  sd_pid=$!
  pids+=("$sd_pid")
  wait_for_file "$sd_ports" 30 "$sd_pid"
  idle=$(rss_kb "$sd_pid")
  c0=$(cpu_ns "$sd_pid"); t0=$(date +%s%N)
  "$out/shakebench" viewers --host "$host" --dashboard-port "$(dashboard_port_of "$sd_ports")" \
    --port "$(port_of "$sd_ports" "$scen")" --ca certs/ca.pem --load "$kind" \
    --viewers "$n" --rate "$viewer_rate" --seconds "$viewer_seconds" \
    -c "$([ "$kind" = tcp ] && echo 16 || echo 64)" --ready-file "$ready" \
    >"$out/viewers-$kind.out" 2>"$out/viewers-$kind.err" &
  vpid=$!
  pids+=("$vpid")
  wait_for_file "$ready" 60 "$vpid"
  streams=$(rss_kb "$sd_pid") # the load starts a second after the ready file
  while kill -0 "$vpid" 2>/dev/null; do
    r=$(rss_kb "$sd_pid"); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.2
  done
  wait "$vpid" || rc=$?
  c1=$(cpu_ns "$sd_pid"); t1=$(date +%s%N)
  after=$(rss_kb "$sd_pid"); hwm=$(hwm_kb "$sd_pid")
  stop "$vpid"; stop "$sd_pid"
  line=$(cat "$out/viewers-$kind.out")
  [ -n "$line" ] || { log "viewers: no result (see $out/viewers-$kind.err)"; line="viewers n=$n connected=0"; }
  record "$line case=$kind scenario=$scen max_streams=$cap rss_idle_kb=$idle" \
    "rss_streams_kb=$streams rss_peak_kb=$peak rss_after_kb=$after hwm_kb=$hwm" \
    "server_cpu_ms=$(((c1 - c0) / 1000000)) wall_ms=$(((t1 - t0) / 1000000)) rc=$rc"
  log "viewers ($kind, $scen): $(grep -o '\(connected\|dropped\|events_per_s\|lost_events\|p50_ms\|p99_ms\|conn_per_s\|load_errors\)=[^ ]*' <<<"$line" | paste -sd' ')"
  log "viewers ($kind): server RSS ${idle} kB idle, ${streams} kB with the streams, peak ${hwm} kB"
}

viewers_part() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  log "dashboard: $viewers viewers, $viewer_rate connections/s for $viewer_seconds s ($viewer_load)"
  # tcp: the rate is reachable on two cores next to the server and the
  # viewers; a TLS handshake per connection is not (see README.md).
  case "$viewer_load" in tcp|both) viewers_case tcp reset-on-accept 127.0.0.1 ;; esac
  case "$viewer_load" in tls|both) viewers_case tls valid localhost ;; esac
}

# ---- main ---------------------------------------------------------------

machine
ensure_shakedown
[ "$only_viewers" -eq 1 ] || ensure_nginx
build_shakebench
# A copy: other work may rebuild build/shakedown while this runs.
sd_bin="$out/shakedown"
cp "$shakedown" "$sd_bin"
sd_help=$("$sd_bin" --help 2>&1 || true)
grep -q -- '--workers' <<<"$sd_help" || log "shakedown has no --workers: it runs with one worker in every case"
record "client library=$("$loadgen" library)"
record "shakedown binary=$shakedown version=\"$("$sd_bin" --version 2>&1 | head -n 1)\"" \
  "has_workers=$(grep -q -- '--workers' <<<"$sd_help" && echo yes || echo no)"

if [ "$only_viewers" -eq 1 ]; then
  viewers_part
else
  record "nginx version=\"$(nginx -v 2>&1 | sed 's/^nginx version: //')\""
  if [ "$only_handshakes" -eq 0 ]; then
    crypto
  fi
  log "handshakes: one worker each, $rounds rounds of $n connections at concurrency $conc"
  handshakes 1
  if [ "$cores" -gt 1 ]; then
    log "handshakes: workers = cores ($cores)"
    handshakes "$cores"
  fi
fi
if [ "$only_handshakes" -eq 0 ] && [ "$only_viewers" -eq 0 ]; then
  log "scale: $stall_n stalled, $idle_n idle TLS connections"
  scale
  startup
  viewers_part
  log "HTTP/2 against HTTP/1.1 (bench/h2.sh)"
  if command -v h2load >/dev/null; then
    "$here/h2.sh" --shakedown "$sd_bin" $([ "$quick" -eq 1 ] && echo --rounds 1 -n 200)
  else
    log "h2load is missing (nghttp2-client): HTTP/2 part skipped"
  fi
fi
record "elapsed seconds=$(($(date +%s) - started))"
python3 "$here/report.py" "$results" >"$out/summary.md"
cat "$out/summary.md"
{ printf '\n## %s\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)"; cat "$out/summary.md"; } >>"$out/history.md"
log "done in $(($(date +%s) - started)) s; summary in bench/out/summary.md"
