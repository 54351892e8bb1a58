#!/bin/sh
# idle-cpu.sh: the live screen's idle CPU (issue 26, item 4). Builds
# tokentop, runs it in a detached tmux (a 120x40 terminal) for each load,
# lets it settle, then reads utime+stime from /proc/PID/stat over SECONDS
# seconds of wall time and prints the CPU percentage.
#   sh docs/idle-cpu.sh [SECONDS]      (default 60; needs tmux and Linux /proc)
set -eu
secs=${1:-60}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/tokentop
go build -o "$bin" .
sock=tt-idle-$$
hz=$(getconf CLK_TCK)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$(dirname "$bin")"' EXIT
measure() { # name, tokentop arguments...
	name=$1; shift
	tmux -L "$sock" new-session -d -s tt -x 120 -y 40 "$bin $*"
	sleep 5 # let it start and settle: not a synchronisation, a warm-up
	pid=$(tmux -L "$sock" list-panes -t tt -F '#{pane_pid}')
	t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
	sleep "$secs"
	t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
	tmux -L "$sock" kill-server
	awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" -v n="$name" \
		'BEGIN { printf "%-28s %5.2f%% CPU over %ds\n", n, 100*(b-a)/hz/s, s }'
}
measure "demo" --scenario demo
measure "1000 quiet sessions" --session name=q,count=1000,lifetime=8784h --speed 1
measure "1000 busy sessions" --session name=b,count=1000,lifetime=1m
