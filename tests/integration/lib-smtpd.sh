# lib-smtpd.sh - start, stop and inspect tests/integration/smtpd.py from
# shell tests. Source it; each server lives in its own directory DIR:
#   DIR/md        the Maildir (new/ holds one file per message and recipient)
#   DIR/port      the port it listens on, DIR/pid its process id
#   DIR/state     its counters (JSON), DIR/control its fault settings (JSON)
#   DIR/log       its stderr
# Every wait is bounded.

: "${PYTHON3:=/usr/bin/python3}"
case "$PYTHON3" in
/usr/bin/*) ;;
*) "$PYTHON3" -c 'import aiosmtpd' 2>/dev/null || PYTHON3=/usr/bin/python3 ;;
esac
SMTPD_PY="${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE:-$0}")/../.." && pwd)}/tests/integration/smtpd.py"

# smtpd_cert DIR - a self-signed certificate for localhost/127.0.0.1 in DIR/tls
smtpd_cert() {
	"$PYTHON3" "$SMTPD_PY" --make-cert "$1/tls" >/dev/null
}

# smtpd_start DIR [smtpd.py options...] - start and wait (10 s at most) until
# it listens; a port in DIR/port from an earlier run is reused. 0 on success.
smtpd_start() {
	_d=$1
	shift
	mkdir -p "$_d/md"
	_port=0
	[ -s "$_d/port" ] && _port=$(cat "$_d/port")
	rm -f "$_d/pid" "$_d/ready"
	"$PYTHON3" "$SMTPD_PY" --maildir "$_d/md" --port "$_port" --port-file "$_d/ready" \
		--pid-file "$_d/pid" --state "$_d/state" --control "$_d/control" \
		--max-seconds 300 "$@" 2>>"$_d/log" &
	_i=0
	while [ ! -s "$_d/ready" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 100 ] || ! kill -0 $! 2>/dev/null; then
			echo "# smtpd.py did not start:" >&2
			sed 's/^/# /' "$_d/log" >&2
			return 1
		fi
		sleep 0.1
	done
	cp "$_d/ready" "$_d/port"
	return 0
}

# smtpd_port DIR - the port it listens on
smtpd_port() {
	cat "$1/port"
}

# smtpd_stop DIR - stop it (TERM, then KILL after 5 s) and wait for it
smtpd_stop() {
	[ -s "$1/pid" ] || return 0
	_pid=$(cat "$1/pid")
	kill -TERM "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt 50 ]; then
			kill -KILL "$_pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$_pid" 2>/dev/null
	rm -f "$1/pid"
	return 0
}

# smtpd_running DIR - whether it still runs (it exits on a crash fault)
smtpd_running() {
	[ -s "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null
}

# smtpd_count DIR - the number of messages (files) in its Maildir
smtpd_count() {
	find "$1/md/new" -type f | wc -l | tr -d ' '
}

# smtpd_state DIR KEY - a counter from DIR/state (connections, messages, ...)
smtpd_state() {
	"$PYTHON3" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(",".join(v) if isinstance(v, list) else v)' "$1/state" "$2"
}

# smtpd_faults DIR JSON - set the fault settings (read at the next command)
smtpd_faults() {
	printf '%s\n' "$2" >"$1/control.tmp" && mv "$1/control.tmp" "$1/control"
}

# smtpd_clear DIR - empty the Maildir and remove the faults
smtpd_clear() {
	rm -f "$1/md/new/"* "$1/control"
}
