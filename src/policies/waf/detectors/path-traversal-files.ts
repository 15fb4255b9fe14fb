/**
 * Tables of the path-traversal detector: names an application never has a reason to receive in
 * an input value, in lower case. Kept apart so the detector's logic stays readable.
 */

/**
 * Children that make a directory token sensitive: a set of names, or '*' for any.
 *
 * @example `const etc: Children = '*'`
 */
export type Children = ReadonlySet<string> | '*';

function set(names: string): ReadonlySet<string> {
  return new Set(names.split(' '));
}

/**
 * Files sensitive wherever they appear as a whole token (secrets, server config, OS files).
 *
 * @example `FILES.has('boot.ini') // true`
 */
export const FILES: ReadonlySet<string> = set(
  [
    // Unix home directory secrets and shell histories.
    '.htaccess .htpasswd .env .bash_history .bashrc .bash_profile .bash_logout .profile .cshrc .zshrc .zsh_history',
    '.rhosts .shosts .ksh_history .xauthority .logout .passwd master.passwd',
    '.mysql_history .psql_history .sh_history .viminfo .netrc .npmrc .pgpass .git-credentials .dockercfg .s3cfg',
    'id_rsa id_dsa id_ecdsa id_ed25519 authorized_keys authorized_keys2',
    // Application and web server configuration.
    'wp-config.php config.inc.php configuration.php localsettings.php web.config applicationhost.config global.asa',
    'php.ini php4.ini php5.ini httpd.conf httpd2.conf apache.conf apache2.conf nginx.conf lighttpd.conf my.cnf my.ini',
    'metabase.xml server.xml tomcat-users.xml proftpd.conf vsftpd.conf pure-ftpd.conf smb.conf sshd_config ssh_config',
    // Logs attackers poison and then include.
    'access.log error.log access_log error_log httpd-access.log httpd-error.log',
    // Windows system files.
    'boot.ini win.ini system.ini autoexec.bat config.sys ntuser.dat pagefile.sys hiberfil.sys unattend.xml',
    'unattended.xml sysprep.inf sysprep.xml localstart.asp',
  ].join(' '),
);

const ANY = '*';

/**
 * Directories whose children are sensitive (`etc/…`, `proc/…`, `windows/system32`).
 *
 * @example `DIRECTORIES.get('etc') // '*'`
 */
export const DIRECTORIES: ReadonlyMap<string, Children> = new Map<string, Children>([
  ['etc', ANY],
  ['proc', ANY],
  ['.ssh', ANY],
  ['.git', ANY],
  ['.svn', ANY],
  ['.hg', ANY],
  ['.aws', ANY],
  ['.docker', ANY],
  ['.kube', ANY],
  ['web-inf', ANY],
  ['meta-inf', ANY],
  ['system32', ANY],
  ['syswow64', ANY],
  ['inetpub', ANY],
  ['repair', set('sam system software security')],
  ['windows', set('system32 syswow64 repair panther debug system temp tasks inf win.ini system.ini php.ini my.ini')],
  ['winnt', set('system32 repair panther debug system temp tasks inf win.ini system.ini php.ini my.ini')],
  ['boot', set('grub grub2 loader.conf')],
  ['root', set('.ssh .bash_history .bashrc .profile')],
  ['apache', set('logs conf')],
  ['apache2', set('logs conf')],
  ['nginx', set('logs conf')],
  ['xampp', ANY],
  ['appserv', ANY],
]);

/**
 * What follows a drive letter that is an attack rather than a user's file.
 *
 * @example `DRIVE_ROOT !== '*' && DRIVE_ROOT.has('windows') // true`
 */
export const DRIVE_ROOT: Children = set(
  'windows winnt inetpub boot.ini system32 apache xampp appserv php php4 php5 mysql unattend.xml unattended.xml sysprep.inf',
);

/**
 * PHP stream wrappers and schemes that read local files or run code (before `://`).
 *
 * @example `WRAPPERS.has('phar') // true`
 */
export const WRAPPERS: ReadonlySet<string> = set('php file expect zip phar data glob input compress.zlib compress.bzip2 rar ogg ssh2.shell ssh2.exec zlib jar netdoc');

/**
 * Top-level Unix directories sensitive only as an absolute path (`/var/…`, `/usr/…`).
 *
 * @example `ROOTED.get('var') // '*'`
 */
export const ROOTED: ReadonlyMap<string, Children> = new Map<string, Children>([
  ['var', ANY],
  ['usr', ANY],
  ['srv', ANY],
  ['sys', ANY],
]);

/**
 * Extensions of server-side code, configuration and logs (a bare `config.php` is suspect).
 *
 * @example `SERVER_EXTENSIONS.has('php') // true`
 */
export const SERVER_EXTENSIONS: ReadonlySet<string> = set('php php3 php4 php5 phtml inc asp aspx asa jsp ini conf cnf cfg config log bak sql db mdb');
