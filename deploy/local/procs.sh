# Telling a live process of ours from a dead one or a stranger. Sourced by up.sh and down.sh.
# A pid file holds "<pid> <start time>", the start time being field 22 of /proc/<pid>/stat
# (clock ticks since boot): `kill -0` alone succeeds on a zombie (a killed process not yet
# reaped) and on a pid the kernel gave to another process since.

# Prints the start time of a live (not zombie) process, nothing if there is none.
proc_start_time() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  # The command name (field 2) is in parentheses and may hold spaces: cut after it.
  rest=${stat##*) }
  set -- $rest
  case $1 in Z | X) return 0 ;; esac
  # $1 is field 3 (state), so field 22 is ${20}.
  echo "${20}"
}

# Records a process we just started in a pid file.
proc_record() { # pid file, pid
  echo "$2 $(proc_start_time "$2")" >"$1"
}

# True if the pid file names a process that is alive and is the one recorded.
proc_alive() { # pid file
  local pid start now
  [ -s "$1" ] || return 1
  read -r pid start <"$1" || true
  [ -n "$pid" ] && [ -n "${start:-}" ] || return 1
  now=$(proc_start_time "$pid")
  [ -n "$now" ] && [ "$now" = "$start" ]
}

# The pid a pid file records (whether or not it is alive).
proc_pid() { # pid file
  local pid _
  read -r pid _ <"$1" && echo "$pid"
}
