/**
 * Tables of the command-injection detector, in lower case.
 *
 * STRONG commands are tool names that prose does not use (`whoami`, `wget`); WEAK ones are also
 * English words or interpreters (`cat`, `sleep`, `python`) and need shell-shaped arguments
 * (`-l`, `/etc`, `C:\`) before they count at paranoia level 1.
 */

function set(names: string): ReadonlySet<string> {
  return new Set(names.split(/\s+/).filter((n) => n !== ''));
}

/**
 * Unix and Windows commands that are an attack wherever a command may start.
 *
 * @example `STRONG.has('whoami') // true`
 */
export const STRONG: ReadonlySet<string> = set(`
  whoami uname ifconfig ipconfig netstat nslookup systeminfo sysinfo wget curl powershell pwsh
  bash zsh ksh csh tcsh dash sh nc ncat netcat telnet nmap socat chmod chown chgrp passwd useradd
  usermod crontab nohup xterm iptables tftp certutil bitsadmin wmic regsvr32 rundll32 mshta
  cscript wscript msiexec tasklist taskkill netsh schtasks icacls ls id phpinfo xxd getent lsb_release
  busybox mkfifo pwd dir
`);

/**
 * Commands that are also words or interpreters: they need shell-shaped arguments.
 *
 * @example `WEAK.has('cat') // true`
 */
export const WEAK: ReadonlySet<string> = set(`
  cat echo printf type more less head tail sort uniq find grep egrep fgrep awk gawk sed cut tr wc
  sleep ping timeout kill killall ps top env export set unset which where whereis who date time test
  touch cp mv rm mkdir rmdir ln tar zip unzip gzip file net reg start call exit eval exec source
  python python2 python3 perl ruby php node lua hostname host dig whois ssh scp ftp sftp mail tee
  xargs ver vol base64 od strings nl diff cmd
`);

/**
 * Commands whose usual argument is a number of seconds or packets (`sleep 5`).
 *
 * @example `NUMERIC.has('sleep') // true`
 */
export const NUMERIC: ReadonlySet<string> = set('sleep ping timeout usleep');

/**
 * Functions that run a command or code (`system('id')`, `os.popen(`), checked before `(`.
 *
 * @example `CODE_EXEC.has('shell_exec') // true`
 */
export const CODE_EXEC: ReadonlySet<string> = set(`
  system exec shell_exec passthru popen proc_open pcntl_exec eval assert phpinfo phpversion
  sleep usleep create_function call_user_func getruntime processbuilder spawn execsync spawnsync execfile
  os.system os.popen subprocess.call subprocess.popen subprocess.run subprocess.check_output
`);

/**
 * Directories whose children are commands (`/bin/cat`, `/usr/bin/id`).
 *
 * @example `BIN_DIRS.has('sbin') // true`
 */
export const BIN_DIRS: ReadonlySet<string> = set('bin sbin');

/**
 * Reconnaissance commands that are an attack even as the whole value (`whoami`).
 *
 * @example `RECON.has('ifconfig') // true`
 */
export const RECON: ReadonlySet<string> = set('whoami ifconfig ipconfig systeminfo sysinfo uname netstat phpinfo getent lsb_release');

/**
 * Commands that look up another command (`which wget`): followed by a strong one, an attack.
 *
 * @example `LOOKUP.has('which') // true`
 */
export const LOOKUP: ReadonlySet<string> = set('which whereis where type');

/**
 * Windows commands whose subcommand makes the shape (`net user`, `netsh firewall`, `reg add`).
 *
 * @example `SUBCOMMANDS.get('net')?.has('user') // true`
 */
export const SUBCOMMANDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['net', set('user users localgroup group view share use accounts session start stop')],
  ['netsh', set('firewall advfirewall interface wlan winhttp')],
  ['reg', set('add query delete export save')],
]);
