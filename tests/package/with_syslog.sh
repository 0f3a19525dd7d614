#!/bin/sh
# with_syslog.sh LOG COMMAND...: runs COMMAND in a private mount namespace
# whose /dev has a /dev/log socket (an overlay on the real /dev, which is
# left alone), appending the syslog messages it receives to LOG.
# Exits with COMMAND's status, or 125 if the namespace cannot be set up.
set -u
log=$1
shift
if [ -z "${MDEVMC_SYSLOG_NS:-}" ]; then
    unshare -m --propagation private true 2>/dev/null || exit 125
    tmp=$(mktemp -d) || exit 125
    MDEVMC_SYSLOG_NS=$tmp unshare -m --propagation private sh "$0" "$log" "$@"
    rc=$?
    rmdir "$tmp"
    exit $rc
fi
tmp=$MDEVMC_SYSLOG_NS
unset MDEVMC_SYSLOG_NS
mount -t tmpfs tmpfs "$tmp" && mkdir "$tmp/u" "$tmp/w" &&
    mount -t overlay overlay -o "lowerdir=/dev,upperdir=$tmp/u,workdir=$tmp/w" /dev || exit 125
rm -f /dev/log
python3 -c '
import signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(sys.argv[1], "a") as f:
    while True:
        f.write(s.recv(65536).decode(errors="replace").rstrip("\n") + "\n")
        f.flush()
' "$log" &
listener=$!
i=0
while [ ! -S /dev/log ]; do
    i=$((i + 1))
    [ $i -le 50 ] || { kill $listener; exit 125; }
    sleep 0.1
done
"$@"
rc=$?
sleep 0.3
kill $listener 2>/dev/null
wait $listener 2>/dev/null
exit $rc
