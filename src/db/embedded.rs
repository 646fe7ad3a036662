//! The embedded PostgreSQL launcher: with no DATABASE_URL, whygo (the server
//! and the test suite) runs a private PostgreSQL cluster of its own from the
//! system's PostgreSQL binaries.
//!
//! Layout of [`EmbeddedOptions::dir`]:
//! - `pgdata/`: the cluster (made by initdb the first time);
//! - `postgres.log`: the output of initdb and of the server, appended;
//! - `embedded.lock`: an advisory lock (flock) held while a cluster runs, with
//!   the pid of the process holding it, so that two launchers never share a
//!   directory (nor race to initdb it).
//!
//! Lifetime: the postmaster is spawned directly (not through pg_ctl) by a
//! dedicated "keeper" thread that lives exactly as long as the postmaster.
//! The child asks the kernel for `SIGINT` (fast shutdown) when that thread
//! dies (`PR_SET_PDEATHSIG`); the thread only dies with the postmaster or with
//! our whole process, so a crash, a panic, `kill -9` or the end of a test
//! binary never leaves an orphan server behind. The parent-death signal is
//! tied to the spawning *thread*, which is why the caller's thread (often a
//! short-lived tokio blocking task) must not spawn it.
//!
//! Authentication is `trust`, and there are no passwords to log: the server
//! listens on 127.0.0.1 only (no Unix socket at all), on a random port, for a
//! private cluster that holds nothing but whygo's own data. Any local user of
//! the machine can reach that port, though: on a host shared with untrusted
//! users, point DATABASE_URL at a properly secured server instead.
//!
//! Linux only: it relies on `prctl(PR_SET_PDEATHSIG)` and on `/proc`.

// The launcher's libc calls (setuid, prctl, flock, kill) are the only unsafe
// code whygo has; the crate denies it everywhere else.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, OsStr};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

/// Names the folder of PostgreSQL binaries to use, overriding the search.
pub const BINDIR_ENV: &str = "WHYGO_PG_BINDIR";

/// The database superuser initdb creates (and the user in [`EmbeddedPostgres::url`]).
const SUPERUSER: &str = "postgres";
/// The system account that runs the cluster when whygo runs as root.
const SYSTEM_USER: &str = "postgres";
/// Debian's and Ubuntu's versioned installs: `/usr/lib/postgresql/15/bin`.
const VERSIONED_ROOT: &str = "/usr/lib/postgresql";

const DATA_SUBDIR: &str = "pgdata";
const INIT_SUBDIR: &str = "pgdata.initdb";
const LOG_FILE: &str = "postgres.log";
const LOCK_FILE: &str = "embedded.lock";

/// How long a fast shutdown may take before the postmaster is killed.
const STOP_GRACE: Duration = Duration::from_secs(30);
/// How long to wait for the exit after SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(10);
/// Give up starting when the server has not answered at all for this long.
const NO_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// ... and, however busy it says it is (crash recovery), after this long.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a postmaster that is already shutting down may take to go.
const STOPPING_GRACE: Duration = Duration::from_secs(30);
/// How long the children of a killed postmaster may take to notice and exit.
const LEFTOVER_GRACE: Duration = Duration::from_secs(10);
/// Tries with a fresh port when another program took ours before postgres bound it.
const PORT_ATTEMPTS: usize = 3;
const POLL: Duration = Duration::from_millis(25);
const LOG_TAIL_LINES: usize = 20;

/// Where and how to run the embedded cluster.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// The cluster lives in `dir/pgdata`, its log in `dir/postgres.log`;
    /// created if missing.
    pub dir: PathBuf,
    /// `false` (tests): `fsync=off`, `synchronous_commit=off`,
    /// `full_page_writes=off`, and initdb without syncing. Never for data
    /// that must survive a power cut.
    pub durable: bool,
}

/// Why the embedded cluster could not be found, started or stopped. Every
/// message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (postgres, initdb) not found: {looked}; install PostgreSQL server binaries, e.g. `apt-get install postgresql` on Debian/Ubuntu, or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound { looked: String },

    #[error(
        "whygo runs as root and PostgreSQL refuses to, so the embedded cluster runs as the `{user}` system user, but there is no such user: install the postgresql package (it creates that user), run whygo as a normal user, or set DATABASE_URL to use an existing server"
    )]
    NoSystemUser { user: String },

    #[error(
        "whygo runs as root, so the embedded cluster runs as `{user}`, who cannot enter {path} (mode {mode:o}, owner uid {owner}): use a data directory `{user}` can reach (e.g. under /var/lib/whygo), or allow it with `chmod o+x {path}`"
    )]
    NotTraversable {
        path: PathBuf,
        user: String,
        mode: u32,
        owner: u32,
    },

    #[error(
        "{path} belongs to uid {owner}, but the embedded cluster runs as `{user}` (uid {uid}), who must own it: run whygo as its owner, or `chown -R {user} {path}`"
    )]
    WrongOwner {
        path: PathBuf,
        owner: u32,
        user: String,
        uid: u32,
    },

    #[error(
        "{path} exists but is not a PostgreSQL data directory (it has no PG_VERSION): move it away or use another --data-dir"
    )]
    NotACluster { path: PathBuf },

    #[error("another whygo server is using {dir} (pid {pid}); stop it or use another --data-dir")]
    AlreadyRunning { dir: PathBuf, pid: u32 },

    #[error(
        "processes of a killed PostgreSQL server (pids {pids}) still use {dir}: wait for them to exit, or kill them"
    )]
    LeftoverProcesses { dir: PathBuf, pids: String },

    #[error("could not run {program}: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("initdb failed ({status}); last lines of {log}:\n{tail}")]
    InitdbFailed {
        status: String,
        log: PathBuf,
        tail: String,
    },

    #[error("PostgreSQL exited while starting ({status}); last lines of {log}:\n{tail}")]
    ExitedEarly {
        status: String,
        log: PathBuf,
        tail: String,
    },

    #[error("PostgreSQL did not accept connections within {secs} s; last lines of {log}:\n{tail}")]
    StartTimeout {
        secs: u64,
        log: PathBuf,
        tail: String,
    },

    #[error("PostgreSQL (pid {pid}) did not exit, even {secs} s after SIGKILL")]
    StopTimeout { pid: u32, secs: u64 },

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |source| EmbeddedError::Io {
        action,
        path,
        source,
    }
}

/// A running private PostgreSQL cluster. Stop it with [`EmbeddedPostgres::stop`]
/// (dropping it does the same).
#[derive(Debug)]
pub struct EmbeddedPostgres {
    port: u16,
    dir: PathBuf,
    postmaster: Option<Postmaster>,
    /// The flock on `dir/embedded.lock`, released once the postmaster is gone.
    lock: Option<File>,
    /// What [`EmbeddedPostgres::restart`] needs to launch it again.
    root: PathBuf,
    bindir: PathBuf,
    run_as: Option<RunAs>,
    durable: bool,
}

impl EmbeddedPostgres {
    /// Runs initdb the first time (UTF8, `--auth=trust`, superuser
    /// "postgres"), then starts the server on a free 127.0.0.1 port and waits
    /// until it accepts connections. Blocking: call it from
    /// `tokio::task::spawn_blocking` in async code.
    pub fn start(opts: &EmbeddedOptions) -> Result<EmbeddedPostgres, EmbeddedError> {
        let bindir = find_bindir()?;
        Self::start_with_bindir(opts, &bindir)
    }

    fn start_with_bindir(
        opts: &EmbeddedOptions,
        bindir: &Path,
    ) -> Result<EmbeddedPostgres, EmbeddedError> {
        let begun = Instant::now();
        let run_as = cluster_user()?;
        let dir = prepare_dir(&opts.dir, run_as.as_ref())?;
        let lock = lock_dir(&dir)?;
        let pgdata = dir.join(DATA_SUBDIR);
        let log_path = dir.join(LOG_FILE);

        if !pgdata.join("PG_VERSION").is_file() {
            remove_if_empty_dir(&pgdata)?;
            init_cluster(bindir, &dir, &log_path, run_as.as_ref(), opts.durable)?;
        }
        check_owner(&pgdata, run_as.as_ref())?;
        let pgdata = fs::canonicalize(&pgdata).map_err(io_error("could not resolve", &pgdata))?;
        clear_stale_state(&dir, &pgdata)?;

        let (postmaster, port) = launch_on_a_free_port(
            &LaunchArgs {
                bindir,
                dir: &dir,
                pgdata: &pgdata,
                log_path: &log_path,
                run_as: run_as.as_ref(),
                durable: opts.durable,
                port: 0,
            },
            None,
        )?;
        info!(
            port,
            pid = postmaster.pid,
            dir = %pgdata.display(),
            durable = opts.durable,
            elapsed_ms = begun.elapsed().as_millis(),
            "embedded PostgreSQL accepts connections"
        );
        Ok(EmbeddedPostgres {
            port,
            dir: pgdata,
            postmaster: Some(postmaster),
            lock: Some(lock),
            root: dir,
            bindir: bindir.to_path_buf(),
            run_as,
            durable: opts.durable,
        })
    }

    /// Waits up to `timeout` for the postmaster to exit: how it exited if it
    /// has (or "stopped" after [`EmbeddedPostgres::stop`]), None while it runs.
    pub fn wait_exit(&self, timeout: Duration) -> Option<String> {
        match &self.postmaster {
            Some(p) => p.wait_exit(timeout),
            None => Some("stopped".to_owned()),
        }
    }

    /// Starts the server again after its postmaster died (killed, crashed):
    /// clears what the dead one left behind and launches it on the same port
    /// if that is still free (else another; see [`EmbeddedPostgres::port`]).
    /// PostgreSQL runs crash recovery as it starts, so committed data is kept.
    /// Blocking. Keeps the directory's lock throughout.
    pub fn restart(&mut self) -> Result<(), EmbeddedError> {
        if let Some(mut old) = self.postmaster.take() {
            // Reaps it (or stops it, if it was in fact alive).
            if let Err(e) = old.stop() {
                warn!(error = %e, "stopping the previous PostgreSQL before a restart");
            }
        }
        clear_stale_state(&self.root, &self.dir)?;
        let log_path = self.root.join(LOG_FILE);
        let (postmaster, port) = launch_on_a_free_port(
            &LaunchArgs {
                bindir: &self.bindir,
                dir: &self.root,
                pgdata: &self.dir,
                log_path: &log_path,
                run_as: self.run_as.as_ref(),
                durable: self.durable,
                port: self.port,
            },
            Some(self.port),
        )?;
        info!(port, pid = postmaster.pid, "embedded PostgreSQL restarted");
        self.port = port;
        self.postmaster = Some(postmaster);
        Ok(())
    }

    /// The 127.0.0.1 port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:{port}/{database}`; `database` is used
    /// as given (not percent-encoded).
    pub fn url(&self, database: &str) -> String {
        self.url_as(SUPERUSER, database)
    }

    /// `postgres://{user}@127.0.0.1:{port}/{database}`: the application's
    /// pool logs in as its own role ([`super::APP_ROLE`]), never as the
    /// superuser.
    pub fn url_as(&self, user: &str, database: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{database}", self.port)
    }

    /// The postmaster's pid, until it is stopped.
    pub fn pid(&self) -> Option<u32> {
        self.postmaster.as_ref().map(|p| p.pid)
    }

    /// The cluster's data directory (`dir/pgdata`, resolved).
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// Fast shutdown (SIGINT: clients are disconnected, a checkpoint is
    /// written), waiting up to 30 s for the exit, then SIGKILL. Blocking.
    /// Calling it again does nothing.
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        let Some(mut postmaster) = self.postmaster.take() else {
            return Ok(());
        };
        let begun = Instant::now();
        let outcome = postmaster.stop()?;
        self.lock = None;
        let elapsed_ms = begun.elapsed().as_millis();
        let dir = self.dir.display();
        match outcome {
            StopOutcome::Stopped => {
                info!(port = self.port, dir = %dir, elapsed_ms, "embedded PostgreSQL stopped");
            }
            StopOutcome::Killed => {
                warn!(port = self.port, dir = %dir, elapsed_ms, "embedded PostgreSQL was killed: it did not finish a fast shutdown in time");
            }
            StopOutcome::AlreadyExited(status) => {
                warn!(port = self.port, dir = %dir, %status, "embedded PostgreSQL had already exited");
            }
        }
        Ok(())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            warn!(error = %e, "stopping the embedded PostgreSQL");
        }
    }
}

// ---------------------------------------------------------------------------
// Finding the binaries

/// The folder holding `postgres` and `initdb`: `$WHYGO_PG_BINDIR` if set;
/// else the folder of the real `postgres` found on PATH (symlinks resolved);
/// else `pg_config --bindir`; else the highest `/usr/lib/postgresql/*/bin`.
pub fn find_bindir() -> Result<PathBuf, EmbeddedError> {
    find_bindir_from(std::env::var_os(BINDIR_ENV).as_deref())
}

/// [`find_bindir`] with the value of `WHYGO_PG_BINDIR` given, so that tests
/// need not change the (process-wide) environment.
fn find_bindir_from(env: Option<&OsStr>) -> Result<PathBuf, EmbeddedError> {
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_server_binaries(&dir) {
            Ok(dir)
        } else {
            Err(EmbeddedError::BinariesNotFound {
                looked: format!("{BINDIR_ENV}={} has no postgres and initdb", dir.display()),
            })
        };
    }
    let path = std::env::var_os("PATH");
    if let Some(dir) = bindir_on_path(path.as_deref()) {
        return Ok(dir);
    }
    if let Some(dir) = bindir_from_pg_config() {
        return Ok(dir);
    }
    if let Some(dir) = newest_versioned_bindir(Path::new(VERSIONED_ROOT)) {
        return Ok(dir);
    }
    Err(EmbeddedError::BinariesNotFound {
        looked: format!(
            "not on PATH, not at `pg_config --bindir`, not in {VERSIONED_ROOT}/*/bin, and {BINDIR_ENV} is not set"
        ),
    })
}

fn is_executable_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

fn has_server_binaries(dir: &Path) -> bool {
    is_executable_file(&dir.join("postgres")) && is_executable_file(&dir.join("initdb"))
}

/// The real folder of the first `postgres` on PATH that has an `initdb`
/// beside it (links such as /usr/local/bin/postgres are followed, so that the
/// sibling tools are found too).
fn bindir_on_path(path: Option<&OsStr>) -> Option<PathBuf> {
    for dir in std::env::split_paths(path?) {
        if !has_server_binaries(&dir) {
            continue;
        }
        let real = fs::canonicalize(dir.join("postgres"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        match real {
            Some(real) if has_server_binaries(&real) => return Some(real),
            _ => return Some(dir),
        }
    }
    None
}

fn bindir_from_pg_config() -> Option<PathBuf> {
    let out = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    has_server_binaries(&dir).then_some(dir)
}

/// The `bin` folder of the highest version under `root` (`root/15/bin`
/// beats `root/9.6/bin`) that has the server binaries.
fn newest_versioned_bindir(root: &Path) -> Option<PathBuf> {
    fs::read_dir(root)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name
                .to_str()?
                .split('.')
                .map(|part| part.parse::<u32>().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

// ---------------------------------------------------------------------------
// Who runs the cluster, and where

/// The account a child process switches to.
#[derive(Clone, Debug)]
struct RunAs {
    name: String,
    uid: libc::uid_t,
    gid: libc::gid_t,
}

fn effective_uid() -> libc::uid_t {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// `None` (the current user) unless we are root, whom initdb and postgres
/// refuse: then the `postgres` system user.
fn cluster_user() -> Result<Option<RunAs>, EmbeddedError> {
    if effective_uid() != 0 {
        return Ok(None);
    }
    system_user(SYSTEM_USER).map(Some)
}

fn system_user(name: &str) -> Result<RunAs, EmbeddedError> {
    let missing = || EmbeddedError::NoSystemUser {
        user: name.to_owned(),
    };
    match lookup_user(name) {
        Ok(Some(user)) if user.uid != 0 => Ok(user),
        Ok(_) => Err(missing()),
        Err(e) => {
            warn!(user = name, error = %e, "could not look the user up");
            Err(missing())
        }
    }
}

/// getpwnam_r (the reentrant one: other threads may use the passwd database).
fn lookup_user(name: &str) -> io::Result<Option<RunAs>> {
    let cname = CString::new(name).map_err(io::Error::other)?;
    passwd_entry(|pwd, buf, found| {
        // SAFETY: every pointer is valid for the call: `cname` is a live
        // NUL-terminated string, `pwd` and `found` are live, and `buf` has
        // exactly `buf.len()` writable bytes.
        unsafe { libc::getpwnam_r(cname.as_ptr(), pwd, buf.as_mut_ptr(), buf.len(), found) }
    })
}

fn lookup_uid(uid: libc::uid_t) -> io::Result<Option<RunAs>> {
    passwd_entry(|pwd, buf, found| {
        // SAFETY: as in `lookup_user`.
        unsafe { libc::getpwuid_r(uid, pwd, buf.as_mut_ptr(), buf.len(), found) }
    })
}

/// One passwd entry, through getpwnam_r or getpwuid_r: the reentrant forms,
/// as other threads may read the passwd database too.
fn passwd_entry(
    lookup: impl Fn(&mut libc::passwd, &mut [libc::c_char], &mut *mut libc::passwd) -> libc::c_int,
) -> io::Result<Option<RunAs>> {
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: passwd is a plain C struct for which all-zeroes is a valid
        // value; the lookup overwrites it.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = lookup(&mut pwd, &mut buf, &mut found);
        if rc == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        if found.is_null() || pwd.pw_name.is_null() {
            return Ok(None);
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside
        // `buf`, which is alive and unchanged here.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) };
        return Ok(Some(RunAs {
            name: name.to_string_lossy().into_owned(),
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
        }));
    }
}

/// Creates `dir` if missing (mode 0700; missing parents get the usual
/// mode), resolves it, and when the cluster runs as another user, hands a
/// fresh directory to that user and checks that they can reach it.
fn prepare_dir(dir: &Path, run_as: Option<&RunAs>) -> Result<PathBuf, EmbeddedError> {
    let existed = dir.exists();
    if !existed {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_error("could not create", parent))?;
        }
        match fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error("could not create", dir)(e)),
        }
    }
    let dir = fs::canonicalize(dir).map_err(io_error("could not resolve", dir))?;
    if let Some(user) = run_as {
        let meta = fs::metadata(&dir).map_err(io_error("could not inspect", &dir))?;
        let empty = fs::read_dir(&dir)
            .map_err(io_error("could not read", &dir))?
            .next()
            .is_none();
        // A directory we just made, or an empty one of root's (a fresh
        // tempdir, mode 0700), becomes the cluster user's, so that they can
        // enter it. Anything else is left as it is.
        if meta.uid() != user.uid && (!existed || (empty && meta.uid() == 0)) {
            info!(dir = %dir.display(), user = %user.name, "giving the data directory to the user that runs PostgreSQL");
            std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid))
                .map_err(io_error("could not change the owner of", &dir))?;
        }
        check_traversable(&dir, user)?;
    }
    Ok(dir)
}

/// Every folder from `/` down to `dir` must let `user` through (mode bits
/// only: an ACL granting access is not seen).
fn check_traversable(dir: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    let mut chain: Vec<&Path> = dir.ancestors().collect();
    chain.reverse();
    for path in chain {
        let meta = fs::metadata(path).map_err(io_error("could not inspect", path))?;
        let mode = meta.mode();
        let search_bit = if meta.uid() == user.uid {
            0o100
        } else if meta.gid() == user.gid {
            0o010
        } else {
            0o001
        };
        if mode & search_bit == 0 {
            return Err(EmbeddedError::NotTraversable {
                path: path.to_path_buf(),
                user: user.name.clone(),
                mode: mode & 0o7777,
                owner: meta.uid(),
            });
        }
    }
    Ok(())
}

/// PostgreSQL runs only on a data directory its own user owns; say so before
/// it does, in words that tell what to do.
fn check_owner(pgdata: &Path, run_as: Option<&RunAs>) -> Result<(), EmbeddedError> {
    let meta = fs::metadata(pgdata).map_err(io_error("could not inspect", pgdata))?;
    let (uid, user) = match run_as {
        Some(user) => (user.uid, user.name.clone()),
        None => {
            let uid = effective_uid();
            let name = match lookup_uid(uid) {
                Ok(Some(user)) => user.name,
                _ => format!("uid {uid}"),
            };
            (uid, name)
        }
    };
    if meta.uid() == uid {
        return Ok(());
    }
    Err(EmbeddedError::WrongOwner {
        path: pgdata.to_path_buf(),
        owner: meta.uid(),
        user,
        uid,
    })
}

/// Takes the advisory lock that keeps two launchers off one directory.
fn lock_dir(dir: &Path) -> Result<File, EmbeddedError> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&path)
        .map_err(io_error("could not open the lock file", &path))?;
    // Our own earlier lock can outlive its release for a moment: a child
    // forked by another thread between our open and its exec holds a copy of
    // the descriptor until it execs. Only then is waiting worth it.
    let own_deadline = Instant::now() + Duration::from_secs(2);
    loop {
        // SAFETY: flock takes a file descriptor that `file` owns and keeps
        // open for the call; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(io_error("could not lock", &path)(err));
        }
        // The holder writes its pid right after locking: give it a moment.
        let deadline = Instant::now() + Duration::from_millis(200);
        let pid = loop {
            let mut text = String::new();
            let read = file
                .seek(SeekFrom::Start(0))
                .and_then(|_| file.read_to_string(&mut text));
            match (read, text.trim().parse::<u32>()) {
                (Ok(_), Ok(pid)) => break pid,
                _ if Instant::now() < deadline => thread::sleep(POLL),
                _ => break 0,
            }
        };
        if pid == std::process::id() && Instant::now() < own_deadline {
            thread::sleep(POLL);
            continue;
        }
        return Err(EmbeddedError::AlreadyRunning {
            dir: dir.to_path_buf(),
            pid,
        });
    }
    file.set_len(0)
        .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
        .map_err(io_error("could not write", &path))?;
    Ok(file)
}

fn remove_if_empty_dir(path: &Path) -> Result<(), EmbeddedError> {
    match fs::read_dir(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("could not read", path)(e)),
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(EmbeddedError::NotACluster {
                    path: path.to_path_buf(),
                });
            }
            fs::remove_dir(path).map_err(io_error("could not remove", path))
        }
    }
}

// ---------------------------------------------------------------------------
// initdb

/// Runs initdb into `dir/pgdata.initdb`, then renames it to `dir/pgdata`: an
/// interrupted initdb never leaves a half-made cluster where one is expected.
fn init_cluster(
    bindir: &Path,
    dir: &Path,
    log_path: &Path,
    run_as: Option<&RunAs>,
    durable: bool,
) -> Result<(), EmbeddedError> {
    let begun = Instant::now();
    let tmp = dir.join(INIT_SUBDIR);
    let pgdata = dir.join(DATA_SUBDIR);
    info!(dir = %pgdata.display(), "initializing a new PostgreSQL cluster");
    // C.UTF-8 gives byte-order collation (fast, the same on every machine)
    // and Unicode-aware upper()/lower(); it also keeps the server's messages
    // in English, which `port_was_taken` reads. Not every libc has it.
    let mut locale = "--locale=C.UTF-8";
    loop {
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_error("could not remove", &tmp))?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&tmp)
            .map_err(io_error("could not create", &tmp))?;
        if let Some(user) = run_as {
            std::os::unix::fs::chown(&tmp, Some(user.uid), Some(user.gid))
                .map_err(io_error("could not change the owner of", &tmp))?;
        }
        let (log, offset) = open_log(log_path)?;
        let log_err = log
            .try_clone()
            .map_err(io_error("could not open", log_path))?;
        let program = bindir.join("initdb");
        let mut cmd = Command::new(&program);
        cmd.arg("-D")
            .arg(&tmp)
            .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8"])
            .arg(locale);
        if !durable {
            cmd.arg("--no-sync");
        }
        cmd.stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .current_dir(dir);
        // initdb cleans up and exits on SIGTERM; this thread waits for it, so
        // it outlives initdb unless our whole process dies.
        configure_child(&mut cmd, run_as, libc::SIGTERM);
        let status = cmd.status().map_err(|source| EmbeddedError::Spawn {
            program: program.clone(),
            source,
        })?;
        if status.success() {
            fs::rename(&tmp, &pgdata).map_err(io_error("could not rename", &tmp))?;
            if durable {
                File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io_error("could not sync", dir))?;
            }
            info!(dir = %pgdata.display(), elapsed_ms = begun.elapsed().as_millis(), "initialized the PostgreSQL cluster");
            return Ok(());
        }
        let tail = log_tail(log_path, offset);
        let _ = fs::remove_dir_all(&tmp);
        if locale != "--no-locale" && tail.contains("locale") {
            warn!("initdb rejected the C.UTF-8 locale; trying again with the C locale");
            locale = "--no-locale";
            continue;
        }
        return Err(EmbeddedError::InitdbFailed {
            status: describe_status(status),
            log: log_path.to_path_buf(),
            tail,
        });
    }
}

// ---------------------------------------------------------------------------
// Child processes

/// Makes `cmd` run as `run_as` (when set) and receive `death_signal` when
/// the thread that spawns it ends (`PR_SET_PDEATHSIG`).
fn configure_child(cmd: &mut Command, run_as: Option<&RunAs>, death_signal: libc::c_int) {
    let creds = run_as.map(|u| (u.uid, u.gid));
    // SAFETY: getpid has no preconditions and cannot fail.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec, where only
    // async-signal-safe work is allowed: `child_setup` makes plain system
    // calls on values copied in before the fork, allocates nothing and takes
    // no lock.
    unsafe {
        cmd.pre_exec(move || child_setup(creds, parent, death_signal));
    }
}

/// In the child, between fork and exec. The order matters: a change of
/// credentials clears the parent-death signal, so it is set after setuid;
/// and the parent may have died before prctl, which getppid then shows.
fn child_setup(
    creds: Option<(libc::uid_t, libc::gid_t)>,
    parent: libc::pid_t,
    death_signal: libc::c_int,
) -> io::Result<()> {
    if let Some((uid, gid)) = creds {
        let groups = [gid];
        // SAFETY: `groups` is a live array of exactly one gid.
        if unsafe { libc::setgroups(1, groups.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: setgid and setuid take plain integers.
        if unsafe { libc::setgid(gid) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above.
        if unsafe { libc::setuid(uid) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(target_os = "linux")]
    {
        let signal =
            libc::c_ulong::try_from(death_signal).unwrap_or(libc::SIGKILL as libc::c_ulong);
        // SAFETY: PR_SET_PDEATHSIG takes one integer argument; the unused
        // ones are passed as zero, as prctl(2) asks.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = death_signal;
    // SAFETY: getppid has no preconditions and cannot fail.
    if unsafe { libc::getppid() } != parent {
        // Our parent died before prctl took effect: nobody would stop us.
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    Ok(())
}

fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// What the keeper thread and the launcher share: the postmaster's exit,
/// once it has been reaped.
#[derive(Debug, Default)]
struct Shared {
    exit: Mutex<Option<String>>,
    exited: Condvar,
}

fn lock_exit(shared: &Shared) -> MutexGuard<'_, Option<String>> {
    shared.exit.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A postmaster spawned and held by its keeper thread.
#[derive(Debug)]
struct Postmaster {
    pid: u32,
    shared: Arc<Shared>,
    /// `None` once stopped.
    keeper: Option<JoinHandle<()>>,
}

#[derive(Debug)]
enum StopOutcome {
    Stopped,
    Killed,
    AlreadyExited(String),
}

impl Postmaster {
    /// Spawns `cmd` from a new thread that stays alive, waiting for the
    /// child, until the child exits: the parent-death signal fires when the
    /// spawning thread ends, and this one ends only with the child (or with
    /// the whole process).
    fn spawn(cmd: Command) -> Result<Postmaster, EmbeddedError> {
        let program = PathBuf::from(cmd.get_program());
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::sync_channel(1);
        let keeper_shared = Arc::clone(&shared);
        let keeper = thread::Builder::new()
            .name("whygo-postgres".to_owned())
            .spawn(move || keep(cmd, &tx, &keeper_shared))
            .map_err(|source| EmbeddedError::Spawn {
                program: program.clone(),
                source,
            })?;
        let spawned = rx
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the launcher thread ended unexpectedly")));
        match spawned {
            Ok(pid) => Ok(Postmaster {
                pid,
                shared,
                keeper: Some(keeper),
            }),
            Err(source) => {
                let _ = keeper.join();
                Err(EmbeddedError::Spawn { program, source })
            }
        }
    }

    /// How it exited, once it has.
    fn exit_status(&self) -> Option<String> {
        lock_exit(&self.shared).clone()
    }

    /// Waits up to `timeout` for the exit; returns it if it came.
    fn wait_exit(&self, timeout: Duration) -> Option<String> {
        let guard = lock_exit(&self.shared);
        let (guard, _) = self
            .shared
            .exited
            .wait_timeout_while(guard, timeout, |exit| exit.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        guard.clone()
    }

    /// Sends `signal`, unless the postmaster has exited (then its pid may
    /// already belong to another process): returns that exit instead.
    fn signal(&self, signal: libc::c_int) -> Result<(), String> {
        // Holding the lock keeps the keeper from reaping the child meanwhile.
        let guard = lock_exit(&self.shared);
        if let Some(exit) = guard.as_ref() {
            return Err(exit.clone());
        }
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return Err(format!("pid {} out of range", self.pid));
        };
        // SAFETY: kill takes plain integers; the pid is our unreaped child.
        if unsafe { libc::kill(pid, signal) } != 0 {
            warn!(pid, signal, error = %io::Error::last_os_error(), "could not signal PostgreSQL");
        }
        Ok(())
    }

    fn stop(&mut self) -> Result<StopOutcome, EmbeddedError> {
        let Some(keeper) = self.keeper.take() else {
            return Ok(StopOutcome::AlreadyExited("already stopped".to_owned()));
        };
        let outcome = match self.signal(libc::SIGINT) {
            Err(exit) => StopOutcome::AlreadyExited(exit),
            Ok(()) if self.wait_exit(STOP_GRACE).is_some() => StopOutcome::Stopped,
            Ok(()) => {
                warn!(
                    pid = self.pid,
                    "PostgreSQL did not finish a fast shutdown in {} s; killing it",
                    STOP_GRACE.as_secs()
                );
                let _ = self.signal(libc::SIGKILL);
                if self.wait_exit(KILL_GRACE).is_none() {
                    // Leave the keeper thread to reap it whenever it goes.
                    return Err(EmbeddedError::StopTimeout {
                        pid: self.pid,
                        secs: KILL_GRACE.as_secs(),
                    });
                }
                StopOutcome::Killed
            }
        };
        // The keeper has recorded the exit, so it is returning.
        let _ = keeper.join();
        Ok(outcome)
    }
}

impl Drop for Postmaster {
    fn drop(&mut self) {
        if self.keeper.is_some() {
            if let Err(e) = self.stop() {
                warn!(error = %e, "stopping PostgreSQL");
            }
        }
    }
}

/// The keeper thread: spawns the child, reports its pid, waits for it to
/// exit, then reaps it and records how it exited.
fn keep(mut cmd: Command, tx: &mpsc::SyncSender<io::Result<u32>>, shared: &Shared) {
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = tx.send(Err(e));
            return;
        }
    };
    drop(cmd);
    let pid = child.id();
    let _ = tx.send(Ok(pid));
    wait_for_exit_without_reaping(pid);
    let mut exit = lock_exit(shared);
    *exit = Some(match child.wait() {
        Ok(status) => describe_status(status),
        Err(e) => format!("exit not known: {e}"),
    });
    drop(exit);
    shared.exited.notify_all();
}

/// Blocks until `pid` has exited, leaving it a zombie, so that its pid
/// cannot be reused while [`Postmaster::signal`] may still use it.
fn wait_for_exit_without_reaping(pid: u32) {
    let id: libc::id_t = pid;
    loop {
        // SAFETY: siginfo_t is a plain C struct for which all-zeroes is valid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes only into `info`, a live local.
        let rc = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        // Anything but EINTR (ECHILD: someone else reaped it) means there is
        // nothing left to wait for; child.wait() then returns at once.
        if rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// Starting the server

#[derive(Clone, Copy)]
struct LaunchArgs<'a> {
    bindir: &'a Path,
    dir: &'a Path,
    pgdata: &'a Path,
    log_path: &'a Path,
    run_as: Option<&'a RunAs>,
    durable: bool,
    port: u16,
}

/// Launches on `first` (or a free port), with a fresh port when another
/// program took it before PostgreSQL could bind it.
fn launch_on_a_free_port(
    args: &LaunchArgs<'_>,
    first: Option<u16>,
) -> Result<(Postmaster, u16), EmbeddedError> {
    let mut attempt = 1;
    loop {
        let port = match first {
            Some(p) if attempt == 1 => p,
            _ => free_port()?,
        };
        match launch(LaunchArgs { port, ..*args }) {
            Ok(postmaster) => return Ok((postmaster, port)),
            Err(EmbeddedError::ExitedEarly { ref tail, .. })
                if attempt < PORT_ATTEMPTS && port_was_taken(tail) =>
            {
                warn!(
                    port,
                    "another program took the port before PostgreSQL bound it; trying another"
                );
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn launch(args: LaunchArgs<'_>) -> Result<Postmaster, EmbeddedError> {
    let (log, offset) = open_log(args.log_path)?;
    let log_err = log
        .try_clone()
        .map_err(io_error("could not open", args.log_path))?;
    let mut cmd = Command::new(args.bindir.join("postgres"));
    cmd.arg("-D")
        .arg(args.pgdata)
        .arg("-p")
        .arg(args.port.to_string())
        .args(["-c", "listen_addresses=127.0.0.1"])
        // No Unix socket: nothing to clean up, and no socket path length limit.
        .args(["-c", "unix_socket_directories="]);
    if !args.durable {
        cmd.args(["-c", "fsync=off"])
            .args(["-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"]);
    }
    cmd.stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .current_dir(args.dir)
        // Its own process group: a Ctrl-C in the terminal reaches whygo only,
        // which then stops the cluster after draining its connections.
        .process_group(0);
    configure_child(&mut cmd, args.run_as, libc::SIGINT);
    let mut postmaster = Postmaster::spawn(cmd)?;
    debug!(pid = postmaster.pid, port = args.port, "spawned postgres");
    if let Err(e) = wait_until_ready(&postmaster, &args, offset) {
        if let Err(stop) = postmaster.stop() {
            warn!(error = %stop, "stopping PostgreSQL after a failed start");
        }
        return Err(e);
    }
    Ok(postmaster)
}

fn wait_until_ready(
    postmaster: &Postmaster,
    args: &LaunchArgs<'_>,
    log_offset: u64,
) -> Result<(), EmbeddedError> {
    let started = Instant::now();
    let mut last_answer = started;
    let mut last_note = started;
    loop {
        if let Some(status) = postmaster.exit_status() {
            return Err(EmbeddedError::ExitedEarly {
                status,
                log: args.log_path.to_path_buf(),
                tail: log_tail(args.log_path, log_offset),
            });
        }
        match probe(args.port) {
            // Also require our postmaster to say "ready" in its pid file: the
            // answer could come from another program that took the port.
            Probe::Ready if pid_file_says_ready(args.pgdata, postmaster.pid) => return Ok(()),
            Probe::Ready | Probe::StartingUp => last_answer = Instant::now(),
            Probe::NoAnswer => {}
        }
        let now = Instant::now();
        if now.duration_since(last_answer) > NO_ANSWER_TIMEOUT
            || now.duration_since(started) > RECOVERY_TIMEOUT
        {
            return Err(EmbeddedError::StartTimeout {
                secs: now.duration_since(started).as_secs(),
                log: args.log_path.to_path_buf(),
                tail: log_tail(args.log_path, log_offset),
            });
        }
        if now.duration_since(last_note) > Duration::from_secs(10) {
            info!(
                port = args.port,
                "still waiting for PostgreSQL to accept connections (crash recovery?)"
            );
            last_note = now;
        }
        // Wakes at once if the postmaster exits.
        postmaster.wait_exit(POLL);
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Probe {
    /// It answered a startup message with authentication (or an error other
    /// than "starting up").
    Ready,
    /// It answered "the database system is starting up" (SQLSTATE 57P03).
    StartingUp,
    NoAnswer,
}

/// What `pg_isready` does, over raw TCP: send a startup message and read
/// the first reply.
fn probe(port: u16) -> Probe {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return Probe::NoAnswer;
    };
    let timeout = Some(Duration::from_secs(2));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return Probe::NoAnswer;
    }
    if stream
        .write_all(&startup_message(SUPERUSER, "postgres"))
        .is_err()
    {
        return Probe::NoAnswer;
    }
    let mut header = [0_u8; 5];
    if stream.read_exact(&mut header).is_err() {
        return Probe::NoAnswer;
    }
    let len = i32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    match header[0] {
        b'R' => {
            // Say goodbye (Terminate), then read until the server closes, so
            // that neither side resets the connection and the server logs
            // nothing about it.
            let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
            let mut sink = [0_u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            Probe::Ready
        }
        b'E' => {
            let body_len = usize::try_from(len.saturating_sub(4))
                .unwrap_or(0)
                .min(8192);
            let mut body = vec![0_u8; body_len];
            if stream.read_exact(&mut body).is_err() {
                return Probe::NoAnswer;
            }
            if sqlstate(&body) == Some("57P03") {
                Probe::StartingUp
            } else {
                Probe::Ready
            }
        }
        _ => Probe::NoAnswer,
    }
}

fn startup_message(user: &str, database: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(64);
    body.extend_from_slice(&196_608_i32.to_be_bytes()); // protocol 3.0
    for (key, value) in [("user", user), ("database", database)] {
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let len = i32::try_from(body.len() + 4).unwrap_or(i32::MAX);
    let mut message = len.to_be_bytes().to_vec();
    message.extend_from_slice(&body);
    message
}

/// The `C` (code) field of an ErrorResponse body.
fn sqlstate(body: &[u8]) -> Option<&str> {
    let mut rest = body;
    while let Some((&kind, after)) = rest.split_first() {
        if kind == 0 {
            return None;
        }
        let end = after.iter().position(|&b| b == 0)?;
        if kind == b'C' {
            return std::str::from_utf8(&after[..end]).ok();
        }
        rest = &after[end + 1..];
    }
    None
}

/// postmaster.pid: pid, data dir, start time, port, socket dir, listen
/// address, shared memory key, status ("ready" once it accepts connections).
fn pid_file_says_ready(pgdata: &Path, pid: u32) -> bool {
    let Ok(text) = fs::read_to_string(pgdata.join("postmaster.pid")) else {
        return false;
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let ours = lines.first().and_then(|l| l.parse::<u32>().ok()) == Some(pid);
    // PostgreSQL before 10 writes no status line.
    ours && lines.get(7).is_none_or(|status| *status == "ready")
}

fn port_was_taken(log_tail: &str) -> bool {
    log_tail.contains("Address already in use")
        || log_tail.contains("could not create any TCP/IP sockets")
}

fn free_port() -> Result<u16, EmbeddedError> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| EmbeddedError::Io {
            action: "could not find a free port on",
            path: PathBuf::from("127.0.0.1"),
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| EmbeddedError::Io {
            action: "could not find a free port on",
            path: PathBuf::from("127.0.0.1"),
            source,
        })?
        .port();
    Ok(port)
}

// ---------------------------------------------------------------------------
// The log

/// Opens the log for appending (0600: error messages may quote data), and
/// tells where this run's output starts.
fn open_log(path: &Path) -> Result<(File, u64), EmbeddedError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error("could not open", path))?;
    let offset = file
        .metadata()
        .map_err(io_error("could not inspect", path))?
        .len();
    Ok((file, offset))
}

/// The last lines written to the log since `offset`.
fn log_tail(path: &Path, offset: u64) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let start = offset.max(len.saturating_sub(16 * 1024));
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            if lines.is_empty() {
                return "(nothing was logged)".to_owned();
            }
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(e) => format!("(could not read the log: {e})"),
    }
}

// ---------------------------------------------------------------------------
// Stale state from an earlier run

#[derive(Debug, PartialEq, Eq)]
enum PidFile {
    Absent,
    /// Its pid is not running, or is not a postgres on this data directory.
    Stale {
        pid: u32,
    },
    /// A postmaster on this data directory is alive.
    Live {
        pid: u32,
        stopping: bool,
    },
}

fn inspect_pid_file(pgdata: &Path) -> Result<PidFile, EmbeddedError> {
    let path = pgdata.join("postmaster.pid");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(PidFile::Absent),
        Err(e) => return Err(io_error("could not read", &path)(e)),
    };
    let mut lines = text.lines().map(str::trim);
    // An empty or garbled file (a crash while writing it) is stale too.
    let pid = lines
        .next()
        .and_then(|l| l.parse::<u32>().ok())
        .unwrap_or(0);
    let status = lines.nth(6).unwrap_or("");
    if pid != 0 && is_running(pid) && is_postgres_on(pid, pgdata) {
        return Ok(PidFile::Live {
            pid,
            stopping: status == "stopping",
        });
    }
    Ok(PidFile::Stale { pid })
}

/// A postmaster.pid left by a killed run would make PostgreSQL refuse to
/// start when its pid has been reused. Clears it, after making sure no server
/// still uses the directory. Called with the directory's lock held, so a live
/// postmaster found here belongs to no running launcher: it is either
/// shutting down (its launcher just died) or someone else's.
fn clear_stale_state(dir: &Path, pgdata: &Path) -> Result<(), EmbeddedError> {
    let mut waited = false;
    loop {
        match inspect_pid_file(pgdata)? {
            PidFile::Absent => return Ok(()),
            PidFile::Live {
                pid,
                stopping: true,
            } if !waited => {
                info!(
                    pid,
                    "waiting for the previous PostgreSQL to finish shutting down"
                );
                let deadline = Instant::now() + STOPPING_GRACE;
                while is_running(pid) && Instant::now() < deadline {
                    thread::sleep(POLL);
                }
                waited = true;
            }
            PidFile::Live { pid, .. } => {
                return Err(EmbeddedError::AlreadyRunning {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            PidFile::Stale { pid } => {
                let path = pgdata.join("postmaster.pid");
                warn!(pid, file = %path.display(), "removing a stale postmaster.pid (its process is gone)");
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_error("could not remove", &path)(e)),
                }
                return wait_for_leftovers(dir, pgdata);
            }
        }
    }
}

/// When a postmaster is killed, its children notice and exit within moments;
/// until they have, the new server would refuse the shared memory they hold.
fn wait_for_leftovers(dir: &Path, pgdata: &Path) -> Result<(), EmbeddedError> {
    let deadline = Instant::now() + LEFTOVER_GRACE;
    loop {
        let pids = postgres_processes_in(pgdata);
        if pids.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
            return Err(EmbeddedError::LeftoverProcesses {
                dir: dir.to_path_buf(),
                pids: pids.join(", "),
            });
        }
        thread::sleep(POLL);
    }
}

/// The state letter in /proc/PID/stat; `None` if there is no such process.
fn process_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": comm may hold spaces and parentheses.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.trim_start().chars().next()
}

/// Alive, and not a zombie waiting to be reaped.
fn is_running(pid: u32) -> bool {
    !matches!(process_state(pid), None | Some('Z' | 'X' | 'x'))
}

fn looks_like_postgres(pid: u32) -> bool {
    let is_server = |name: &str| name.starts_with("postgres") || name.starts_with("postmaster");
    match fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(exe) => exe
            .file_name()
            .and_then(OsStr::to_str)
            .is_some_and(is_server),
        // Another user's process: its name is still readable.
        Err(_) => {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| is_server(c.trim()))
        }
    }
}

/// PostgreSQL's processes all work in their data directory. When we may not
/// see another user's working directory, a postgres is assumed to be on ours.
fn is_postgres_on(pid: u32, pgdata: &Path) -> bool {
    if !looks_like_postgres(pid) {
        return false;
    }
    match fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) => cwd == pgdata,
        Err(_) => true,
    }
}

/// The live postgres processes working in `pgdata`.
fn postgres_processes_in(pgdata: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == pgdata)
                && is_running(pid)
                && looks_like_postgres(pid)
        })
        .collect()
}

#[cfg(test)]
mod tests;
