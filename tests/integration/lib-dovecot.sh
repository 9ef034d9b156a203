# lib-dovecot.sh - a throwaway Dovecot on 127.0.0.1 for integration tests.
#
# Source it, then:
#   dovecot_start                 generate CA, certificate, config; start; wait for the ports
#   dovecot_stop                  stop and wait until it is gone
#   dovecot_restart               stop, then start again on the same ports and data
#   dovecot_append USER FILE [MAILBOX]   save one message (doveadm save; UID = next)
#   dovecot_append_maildir USER FILE...  drop messages into Maildir/new (bulk; UIDs
#                                 are assigned at the next sync, in directory order)
#   dovecot_reset_uidvalidity USER MAILBOX   delete and recreate MAILBOX with its
#                                 messages re-saved: new UIDVALIDITY, new UIDs
#   dovecot_count USER MAILBOX [SEARCH...]   number of messages matching (default ALL)
#   dovecot_reconfigure TEXT      append config lines (e.g. imap_capability = ...), restart
#   dovecot_rawlog USER           the directory of USER's protocol logs: one
#                                 TIMESTAMP.PID.N.in (client commands, after login)
#                                 and .out per session
#   dovecot_cleanup               stop and remove the temp dir (call from a trap)
#
# Set before sourcing (optional): DOVECOT_USERS (default "alice bob carol dave
# erin"), DOVECOT_PASSWORD. After dovecot_start: DOVECOT_DIR, DOVECOT_CONF,
# DOVECOT_IMAP_PORT, DOVECOT_IMAPS_PORT, DOVECOT_CA (the throwaway CA's
# certificate), DOVECOT_LOG. The server certificate names IP:127.0.0.1 and
# DNS:imap.tagd.test only (so "localhost" is a wrong host name).
# Every wait loop is bounded (50 x 0.1 s). POSIX sh (dash) or bash. The master
# runs as a background child of the shell: use `wait PID`, never a bare `wait`,
# and call dovecot_cleanup from an EXIT trap.

DOVECOT_BIN=${DOVECOT_BIN:-/usr/sbin/dovecot}
DOVEADM_BIN=${DOVEADM_BIN:-/usr/bin/doveadm}
DOVECOT_USERS=${DOVECOT_USERS:-"alice bob carol dave erin"}
DOVECOT_PASSWORD=${DOVECOT_PASSWORD:-"s3cret-pass"}
DOVECOT_PID=
DOVECOT_DIR=

# dovecot__python - Debian's python3 (the first on PATH may lack modules)
dovecot__python() {
	if [ -n "$PYTHON3" ] && [ -x "$PYTHON3" ]; then
		echo "$PYTHON3"
	elif [ -x /usr/bin/python3 ]; then
		echo /usr/bin/python3
	else
		echo python3
	fi
}

# dovecot__free_port - a TCP port on 127.0.0.1 nobody listens on now
dovecot__free_port() {
	"$(dovecot__python)" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# dovecot__port_open PORT - whether something accepts connections on 127.0.0.1:PORT
dovecot__port_open() {
	if [ -n "$BASH_VERSION" ]; then
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	else
		"$(dovecot__python)" -c 'import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
	fi
}

# dovecot__certs - a throwaway CA and a server certificate it signed
dovecot__certs() {
	local d=$DOVECOT_DIR/tls
	mkdir -p "$d" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 3 -subj "/CN=tagd throwaway test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=imap.tagd.test" \
		>/dev/null 2>&1 || return 1
	cat >"$d/server.ext" <<-EOF
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature,keyEncipherment
	extendedKeyUsage=serverAuth
	subjectAltName=IP:127.0.0.1,DNS:imap.tagd.test
	EOF
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.crt" \
		>/dev/null 2>&1 || return 1
	DOVECOT_CA=$d/ca.crt
}

# dovecot__config - write the config, password file and home directories
dovecot__config() {
	local mail_uid mail_gid internal login u
	if [ "$(id -u)" = 0 ]; then
		# Debian's dovecot-core creates dovecot and dovenull; mail runs as nobody
		internal=dovecot
		login=dovenull
		mail_uid=$(id -u nobody)
		mail_gid=$(id -g nobody)
	else
		internal=$(id -un)
		login=$internal
		mail_uid=$(id -u)
		mail_gid=$(id -g)
	fi
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/home" || return 1
	# the login and mail processes must reach their directories
	mkdir -p "$DOVECOT_DIR/rawlog"
	chmod 755 "$DOVECOT_DIR" "$DOVECOT_DIR/home" "$DOVECOT_DIR/rawlog"
	: >"$DOVECOT_DIR/passwd"
	for u in $DOVECOT_USERS; do
		echo "$u:{PLAIN}$DOVECOT_PASSWORD:$mail_uid:$mail_gid::$DOVECOT_DIR/home/$u::" \
			>>"$DOVECOT_DIR/passwd"
		mkdir -p "$DOVECOT_DIR/home/$u" "$DOVECOT_DIR/rawlog/$u"
		chown "$mail_uid:$mail_gid" "$DOVECOT_DIR/home/$u" "$DOVECOT_DIR/rawlog/$u" 2>/dev/null
	done
	chmod 644 "$DOVECOT_DIR/passwd"
	DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
	DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
	cat >"$DOVECOT_CONF" <<-EOF
	# throwaway test instance (tests/integration/lib-dovecot.sh)
	base_dir = $DOVECOT_DIR/run
	state_dir = $DOVECOT_DIR/state
	instance_name = tagd-test-$$
	protocols = imap
	listen = 127.0.0.1
	log_path = $DOVECOT_LOG
	info_log_path = $DOVECOT_LOG
	default_internal_user = $internal
	default_login_user = $login
	first_valid_uid = 1
	mail_location = maildir:~/Maildir
	mailbox_idle_check_interval = 1 secs
	rawlog_dir = $DOVECOT_DIR/rawlog/%u
	disable_plaintext_auth = no
	auth_mechanisms = plain login
	auth_failure_delay = 0
	ssl = yes
	ssl_cert = <$DOVECOT_DIR/tls/server.crt
	ssl_key = <$DOVECOT_DIR/tls/server.key
	ssl_min_protocol = TLSv1.2
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/passwd
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%u $DOVECOT_DIR/passwd
	}
	namespace inbox {
	  inbox = yes
	  separator = /
	}
	service imap-login {
	  inet_listener imap {
	    address = 127.0.0.1
	    port = $DOVECOT_IMAP_PORT
	  }
	  inet_listener imaps {
	    address = 127.0.0.1
	    port = $DOVECOT_IMAPS_PORT
	    ssl = yes
	  }
	}
	service doveadm {
	  unix_listener doveadm-server {
	    mode = 0600
	  }
	}
	EOF
	if [ -r /usr/share/dovecot/dh.pem ]; then
		echo "ssl_dh = </usr/share/dovecot/dh.pem" >>"$DOVECOT_CONF"
	fi
}

# dovecot__launch - start the master in the foreground (our child) and wait
dovecot__launch() {
	"$DOVECOT_BIN" -F -c "$DOVECOT_CONF" >>"$DOVECOT_DIR/master.out" 2>&1 &
	DOVECOT_PID=$!
	local i=0
	while [ $i -lt 50 ]; do
		if dovecot__port_open "$DOVECOT_IMAP_PORT" && dovecot__port_open "$DOVECOT_IMAPS_PORT"; then
			return 0
		fi
		if ! kill -0 "$DOVECOT_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# dovecot did not start; its output:" >&2
	sed 's/^/#   /' "$DOVECOT_DIR/master.out" "$DOVECOT_LOG" >&2 2>/dev/null
	return 1
}

dovecot_start() {
	DOVECOT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tagd-dovecot.XXXXXX") || return 1
	DOVECOT_IMAP_PORT=$(dovecot__free_port) || return 1
	DOVECOT_IMAPS_PORT=$(dovecot__free_port) || return 1
	while [ "$DOVECOT_IMAPS_PORT" = "$DOVECOT_IMAP_PORT" ]; do
		DOVECOT_IMAPS_PORT=$(dovecot__free_port) || return 1
	done
	dovecot__certs || { echo "# cannot make certificates (openssl)" >&2; return 1; }
	dovecot__config || return 1
	dovecot__launch
}

# dovecot__children PID - the processes PID started (imap, imap-login, ...)
dovecot__children() {
	local stat
	for stat in /proc/[0-9]*/stat; do
		# field 4 of /proc/PID/stat is the parent; the name (2) has no spaces here
		set -- $(cat "$stat" 2>/dev/null)
		[ "$4" = "$1" ] && continue
		[ "$4" = "$DOVECOT_PID" ] && echo "$1"
	done
}

# dovecot_stop - like a service manager: the master and every process it
# started (logged-in sessions survive a master shutdown otherwise)
dovecot_stop() {
	[ -n "$DOVECOT_PID" ] || return 0
	local kids pid i=0
	kids=$(dovecot__children)
	kill -TERM "$DOVECOT_PID" $kids 2>/dev/null
	while [ $i -lt 50 ] && kill -0 "$DOVECOT_PID" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	for pid in "$DOVECOT_PID" $kids; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	done
	wait "$DOVECOT_PID" 2>/dev/null
	DOVECOT_PID=
	i=0
	while [ $i -lt 50 ] && { dovecot__port_open "$DOVECOT_IMAP_PORT" || dovecot__port_open "$DOVECOT_IMAPS_PORT"; }; do
		sleep 0.1
		i=$((i + 1))
	done
}

dovecot_restart() {
	dovecot_stop
	dovecot__launch
}

# dovecot__adm ARGS... - doveadm against our config
dovecot__adm() {
	"$DOVEADM_BIN" -c "$DOVECOT_CONF" "$@"
}

dovecot_append() {
	local user=$1 file=$2 mailbox=${3:-INBOX}
	dovecot__adm save -u "$user" -m "$mailbox" <"$file"
}

dovecot_append_maildir() {
	local user=$1 f n=0 new owner
	shift
	new=$DOVECOT_DIR/home/$user/Maildir/new
	mkdir -p "$new" "$DOVECOT_DIR/home/$user/Maildir/cur" "$DOVECOT_DIR/home/$user/Maildir/tmp" || return 1
	owner=$(stat -c %u:%g "$DOVECOT_DIR/home/$user")
	for f in "$@"; do
		n=$((n + 1))
		cp "$f" "$new/$(date +%s).M${n}P$$.tagdtest" || return 1
	done
	chown -R "$owner" "$DOVECOT_DIR/home/$user/Maildir" 2>/dev/null
	return 0
}

dovecot_reset_uidvalidity() {
	local user=$1 mailbox=$2 keep f d dir v i=0
	keep=$(mktemp -d "$DOVECOT_DIR/keep.XXXXXX") || return 1
	dir=$DOVECOT_DIR/home/$user/Maildir
	[ "$mailbox" = INBOX ] || dir=$dir/.$mailbox
	# keep the messages' bytes (Maildir names start with the delivery time)
	for d in cur new; do
		for f in "$dir/$d"/*; do
			[ -f "$f" ] || continue
			i=$((i + 1))
			cp "$f" "$keep/$(basename "$f")"
		done
	done
	if [ "$mailbox" = INBOX ]; then
		# INBOX cannot be deleted: expunge it all and raise its UIDVALIDITY
		v=$(dovecot__adm mailbox status -u "$user" uidvalidity INBOX | sed 's/.*uidvalidity=//')
		dovecot__adm expunge -u "$user" mailbox INBOX all || return 1
		dovecot__adm mailbox update -u "$user" --uid-validity "$((v + 1))" INBOX || return 1
	else
		dovecot__adm mailbox delete -u "$user" "$mailbox" || return 1
		dovecot__adm mailbox create -u "$user" "$mailbox" || return 1
	fi
	for f in "$keep"/*; do
		[ -f "$f" ] || continue
		dovecot_append "$user" "$f" "$mailbox" || return 1
	done
	rm -rf "$keep"
}

dovecot_count() {
	local user=$1 mailbox=$2
	shift 2
	[ $# -gt 0 ] || set -- all
	dovecot__adm search -u "$user" mailbox "$mailbox" "$@" | wc -l
}

dovecot_reconfigure() {
	printf '%s\n' "$1" >>"$DOVECOT_CONF"
	dovecot_restart
}

dovecot_rawlog() {
	echo "$DOVECOT_DIR/rawlog/$1"
}

dovecot_cleanup() {
	dovecot_stop
	if [ -n "$DOVECOT_DIR" ] && [ -d "$DOVECOT_DIR" ] && [ -z "$KEEP_DOVECOT" ]; then
		rm -rf "$DOVECOT_DIR"
	fi
}
