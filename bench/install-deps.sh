#!/bin/sh
# install-deps.sh - what `make bench` compares tagd with (not needed to
# build or test tagd; CI does not run this). As root on Debian 12:
#   Postfix's smtp-sink and smtp-source, isync's mbsync, fetchmail,
#   nodejs and npm, and the npm package email-reply-parser into
#   bench/node_modules (the version bench/package-lock.json pins).
# Installing Postfix may start its service; the benchmarks do not use it
# (smtp-sink listens on a port of its own on 127.0.0.1).
set -e
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q postfix isync fetchmail nodejs npm dovecot-imapd python3
cd "$here"
npm ci --no-audit --no-fund
