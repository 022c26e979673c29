#!/bin/bash
# radosgw.sh start DIR PORT [MONPORT] | stop DIR | stop-rgw DIR | start-rgw DIR
#
# A single-host Ceph Pacific (one mon, one memstore OSD, one radosgw) whose S3 API listens on
# http://127.0.0.1:PORT, for the integration tests. After /work/shared/test-infra.md §1.3.
# Everything lives in DIR (config, mon data, logs, pid files, admin sockets); the OSD keeps its
# objects in RAM. The caller picks free loopback ports: PORT for radosgw, MONPORT (default 3300)
# for the mon. The cluster speaks msgr2 only, so nothing binds the mon's other default port
# 6789, and two clusters on distinct ports run side by side (each OSD takes the first free
# ports of 6800-7300 itself). Start takes about 1.3 s, stop 0.5 s. Needs: ceph radosgw curl.
#
# S3 users (region us-east-1):
#   ci  read-write  CIACCESSKEY / CISECRETKEY
#   ro  read-only   CIREADONLY  / CIREADSECRET, arn:aws:iam:::user/ro. Radosgw users can't see
#       each other's buckets, so each bucket needs the policy `radosgw.sh policy BUCKET` prints
#       (s3:GetObject + s3:ListBucket for ro), set by its owner: the pytest fixture does it
#       with put_bucket_policy. Anything else (PUT, DELETE) by ro answers 403 AccessDenied.
#
# start-rgw/stop-rgw restart only radosgw (same config, same port): an S3 outage with a clean
# "connection refused" while the cluster underneath keeps its data.
# stop kills the daemons this script started, by the pids in DIR/run/*.pid, and waits for them.
set -euo pipefail
cmd=${1:-}; D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || {
  echo "usage: $0 start DIR PORT [MONPORT] | stop DIR | stop-rgw DIR | start-rgw DIR | policy BUCKET" >&2
  exit 2
}
if [ "$cmd" = policy ]; then # BUCKET: the read-only user's bucket policy, JSON
  printf '{"Version":"2012-10-17","Statement":[{"Sid":"ci-read-only","Effect":"Allow",'
  printf '"Principal":{"AWS":["arn:aws:iam:::user/ro"]},"Action":["s3:GetObject","s3:ListBucket"],'
  printf '"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}\n' "$D" "$D"
  exit 0
fi
[ "$cmd" != start ] || mkdir -p "$D"
D=$(cd "$D" && pwd)
export CEPH_CONF=$D/ceph.conf

running() { # PID: alive and not a zombie (a daemon's parent is init, which may reap it late)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

stop_daemons() { # NAME:PROGRAM...: SIGTERM each daemon of DIR/run/NAME.pid at once, wait for
  # all (10 s), SIGKILL what is left. A pid counts only while it still runs PROGRAM, so a
  # stale pid file never hits a recycled pid.
  local spec name program pid pids=() alive
  for spec in "$@"; do
    name=${spec%%:*}; program=${spec#*:}
    pid=$(cat "$D/run/$name.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ]; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$D/run/$name.pid"
  done
  for signal in TERM KILL; do
    for _ in $(seq 1 100); do
      alive=()
      for pid in "${pids[@]}"; do running "$pid" && alive+=("$pid"); done
      pids=("${alive[@]}")
      ((${#pids[@]})) || return 0
      sleep 0.1
    done
    [ $signal = KILL ] || kill -9 "${pids[@]}" 2>/dev/null || true
  done
  echo "radosgw.sh: pids ${pids[*]} did not exit" >&2
  return 1
}

rgw_port() { sed -n 's/^rgw frontends = .*endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$D/ceph.conf"; }

wait_rgw() { # PORT: until radosgw answers HTTP (60 s)
  for _ in $(seq 1 600); do
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "radosgw.sh: radosgw did not answer on 127.0.0.1:$1; see $D/log/" >&2
  return 1
}

case $cmd in
  stop)
    # In this order: radosgw hangs in its shutdown if the OSD goes first. (The OSD would
    # wait 5 s for a gone mon, but "osd fast shutdown notify mon = false" spares it.)
    stop_daemons client.rgw.a:radosgw
    stop_daemons osd.0:ceph-osd mon.a:ceph-mon
    exit ;;
  stop-rgw)
    stop_daemons client.rgw.a:radosgw
    exit ;;
  start-rgw)
    radosgw -n client.rgw.a # daemonizes, writes run/client.rgw.a.pid
    wait_rgw "$(rgw_port)"
    exit 0 ;;
  start) ;;
  *) echo "radosgw.sh: unknown command $cmd" >&2; exit 2 ;;
esac

PORT=${3:?start needs PORT}; MONPORT=${4:-3300}
for bin in ceph ceph-mon ceph-osd ceph-authtool monmaptool radosgw radosgw-admin curl; do
  command -v $bin >/dev/null || { echo "radosgw.sh: $bin not installed (run ./scripts/setup)" >&2; exit 3; }
done
mkdir -p "$D"/{run,log,mon.a,osd.0}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MONPORT
mon initial members = a
public network = 127.0.0.0/8
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
# auth is off inside the cluster, so no connection can be 'secure' (radosgw defaults to it)
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
# fail instead of hanging when the mon can't be reached
client mount timeout = 30
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
mon warn on msgr2 not enabled = false
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
keyring = $D/keyring
[mon]
# commit map changes at once, not batched for 1 s: each pool radosgw creates costs ~2 s otherwise
paxos propose interval = 0.05
paxos min wait = 0.01
mon data = $D/\$name
mon data avail warn = 1
mon data avail crit = 0
[osd]
osd data = $D/\$name
osd objectstore = memstore
osd fast shutdown notify mon = false
memstore device bytes = 2147483648
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
CONF
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$MONPORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
ceph-mon -i a                                  # daemonizes
ceph --connect-timeout 30 osd create >/dev/null # allocates osd id 0 (deprecated, works in 16.2)
ceph-osd -i 0 --mkfs >/dev/null 2>&1
ceph-osd -i 0 2>/dev/null                      # daemonizes
radosgw -n client.rgw.a                        # daemonizes; creates 4 pools now, 2 more on first use
wait_rgw "$PORT"
radosgw-admin user create --uid=ci --display-name=ci \
  --access-key=CIACCESSKEY --secret-key=CISECRETKEY >/dev/null
radosgw-admin user create --uid=ro --display-name=ro --max-buckets=-1 \
  --access-key=CIREADONLY --secret-key=CIREADSECRET >/dev/null # -1: may not create buckets
echo "radosgw ready on http://127.0.0.1:$PORT"
