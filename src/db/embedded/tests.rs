use super::*;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh folder under the system temp dir, mode 0700 like tempfile's,
/// removed on drop. (Not the tempfile crate: this file must build in the
/// main crate with no extra dev-dependency.)
struct TestDir(PathBuf);

impl TestDir {
    fn new(label: &str) -> TestDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("whygo-embedded-{label}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .expect("create a test dir");
        TestDir(path)
    }

    fn opts(&self) -> EmbeddedOptions {
        EmbeddedOptions {
            dir: self.0.clone(),
            durable: false,
        }
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn bindir() -> PathBuf {
    find_bindir().expect("PostgreSQL binaries are needed to test the launcher")
}

/// Runs one statement through psql from the bindir; fails the test on error.
fn psql(port: u16, sql: &str) -> String {
    let out = psql_output(port, sql);
    assert!(
        out.status.success(),
        "psql on port {port} failed for {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn psql_output(port: u16, sql: &str) -> std::process::Output {
    Command::new(bindir().join("psql"))
        .args(["-X", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1"])
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-U", "postgres", "-d", "postgres", "-c", sql])
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .expect("run psql")
}

fn wait_until_gone(pid: u32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while is_running(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(POLL);
    }
    true
}

fn kill(pid: u32, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("pid fits");
    // SAFETY: kill takes plain integers.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill {pid}: {}", io::Error::last_os_error());
}

#[test]
fn a_fresh_cluster_starts_and_accepts_a_connection() {
    let dir = TestDir::new("fresh");
    let pg = EmbeddedPostgres::start(&dir.opts()).expect("start");
    assert_eq!(psql(pg.port(), "select 1"), "1");
    assert_eq!(
        pg.url("whygo"),
        format!("postgres://postgres@127.0.0.1:{}/whygo", pg.port())
    );
    assert_eq!(psql(pg.port(), "show listen_addresses"), "127.0.0.1");
    assert_eq!(psql(pg.port(), "show unix_socket_directories"), "");
    assert_eq!(psql(pg.port(), "show fsync"), "off");
    assert_eq!(psql(pg.port(), "show server_encoding"), "UTF8");
    assert!(dir.0.join("pgdata").join("PG_VERSION").is_file());
    assert!(dir.0.join("postgres.log").is_file());
    assert!(
        !dir.0.join(INIT_SUBDIR).exists(),
        "the initdb folder was renamed"
    );
}

#[test]
fn a_durable_cluster_keeps_fsync_on() {
    let dir = TestDir::new("durable");
    let opts = EmbeddedOptions {
        dir: dir.0.clone(),
        durable: true,
    };
    let pg = EmbeddedPostgres::start(&opts).expect("start");
    assert_eq!(psql(pg.port(), "show fsync"), "on");
    assert_eq!(psql(pg.port(), "show synchronous_commit"), "on");
    assert_eq!(psql(pg.port(), "show full_page_writes"), "on");
}

#[test]
fn a_missing_data_dir_and_its_parents_are_created() {
    let root = TestDir::new("nested");
    // As root the cluster runs as `postgres`, who must be able to pass
    // through every parent (see a_folder_the_cluster_user_cannot_enter_is_named).
    fs::set_permissions(&root.0, fs::Permissions::from_mode(0o755)).expect("chmod");
    let opts = EmbeddedOptions {
        dir: root.0.join("a").join("b"),
        durable: false,
    };
    let pg = EmbeddedPostgres::start(&opts).expect("start");
    assert_eq!(psql(pg.port(), "select 1"), "1");
}

#[test]
fn a_restart_on_the_same_dir_keeps_the_data() {
    let dir = TestDir::new("restart");
    let mut pg = EmbeddedPostgres::start(&dir.opts()).expect("first start");
    psql(
        pg.port(),
        "create table kept (v text); insert into kept values ('still here')",
    );
    pg.stop().expect("stop");
    let pg = EmbeddedPostgres::start(&dir.opts()).expect("second start");
    assert_eq!(psql(pg.port(), "select v from kept"), "still here");
}

#[test]
fn the_postmaster_is_gone_after_stop_and_a_second_stop_does_nothing() {
    let dir = TestDir::new("stop");
    let mut pg = EmbeddedPostgres::start(&dir.opts()).expect("start");
    let pid = pg.pid().expect("a running postmaster has a pid");
    let port = pg.port();
    pg.stop().expect("stop");
    assert!(!is_running(pid), "postmaster {pid} still runs after stop");
    assert_eq!(pg.pid(), None);
    assert_eq!(probe(port), Probe::NoAnswer);
    assert!(
        !dir.0.join("pgdata/postmaster.pid").exists(),
        "a clean shutdown removes postmaster.pid"
    );
    pg.stop().expect("a second stop is a no-op");
}

#[test]
fn the_postmaster_is_gone_after_drop() {
    let dir = TestDir::new("drop");
    let pg = EmbeddedPostgres::start(&dir.opts()).expect("start");
    let pid = pg.pid().expect("pid");
    drop(pg);
    assert!(!is_running(pid), "postmaster {pid} still runs after drop");
}

#[test]
fn the_postmaster_survives_the_thread_that_started_it() {
    let dir = TestDir::new("thread");
    let opts = dir.opts();
    // Like tokio's spawn_blocking: the starting thread ends right after.
    let pg = thread::spawn(move || EmbeddedPostgres::start(&opts))
        .join()
        .expect("the starting thread")
        .expect("start");
    let pid = pg.pid().expect("pid");
    // Give a wrongly armed parent-death signal time to do its work.
    thread::sleep(Duration::from_millis(500));
    assert!(
        is_running(pid),
        "postmaster {pid} died with the thread that started it"
    );
    assert_eq!(psql(pg.port(), "select 1"), "1");
}

#[test]
fn a_stale_postmaster_pid_from_a_killed_postmaster_is_handled() {
    let dir = TestDir::new("killed");
    // Durable: with synchronous_commit=off the last commits may die with
    // the server, as PostgreSQL documents.
    let opts = EmbeddedOptions {
        dir: dir.0.clone(),
        durable: true,
    };
    let pg = EmbeddedPostgres::start(&opts).expect("first start");
    psql(
        pg.port(),
        "create table kept (v int); insert into kept values (42)",
    );
    let pid = pg.pid().expect("pid");
    kill(pid, libc::SIGKILL);
    assert!(wait_until_gone(pid, Duration::from_secs(10)));
    drop(pg); // finds it already gone; releases the directory lock
    assert!(
        dir.0.join("pgdata/postmaster.pid").exists(),
        "a killed postmaster leaves its postmaster.pid"
    );
    let pg = EmbeddedPostgres::start(&opts).expect("start after the kill");
    assert_eq!(psql(pg.port(), "select v from kept"), "42");
}

#[test]
fn a_postmaster_pid_naming_another_live_or_dead_process_is_cleared() {
    let dir = TestDir::new("reused");
    let mut pg = EmbeddedPostgres::start(&dir.opts()).expect("first start");
    pg.stop().expect("stop");
    let pid_file = dir.0.join("pgdata/postmaster.pid");
    let fake_pid_file = |pid: u32| {
        let pgdata = dir.0.join("pgdata");
        format!(
            "{pid}\n{}\n1700000000\n5432\n\n127.0.0.1\n  5432001         0\nready   \n",
            pgdata.display()
        )
    };

    // A live process that is not a postgres holds the pid (pid reuse).
    // It runs as the cluster's user: PostgreSQL itself takes another
    // user's process (EPERM) for a dead one, but refuses to start over a
    // live process of its own user.
    let mut sleeper = Command::new("sleep");
    sleeper.arg("30");
    if let Some(user) = cluster_user().expect("cluster user") {
        sleeper.uid(user.uid).gid(user.gid);
    }
    let mut sleeper = sleeper.spawn().expect("spawn sleep");
    fs::write(&pid_file, fake_pid_file(sleeper.id())).expect("write postmaster.pid");
    let mut pg = EmbeddedPostgres::start(&dir.opts()).expect("start over a reused pid");
    assert_eq!(psql(pg.port(), "select 1"), "1");
    pg.stop().expect("stop");

    // A process killed with SIGKILL, now gone.
    sleeper.kill().expect("kill sleep");
    sleeper.wait().expect("reap sleep");
    fs::write(&pid_file, fake_pid_file(sleeper.id())).expect("write postmaster.pid");
    let pg = EmbeddedPostgres::start(&dir.opts()).expect("start over a dead pid");
    assert_eq!(psql(pg.port(), "select 1"), "1");
}

#[test]
fn a_second_concurrent_start_on_the_same_dir_fails_with_a_clear_message() {
    let dir = TestDir::new("concurrent");
    let pg = EmbeddedPostgres::start(&dir.opts()).expect("first start");
    let err = EmbeddedPostgres::start(&dir.opts()).expect_err("a second start must fail");
    let canonical = fs::canonicalize(&dir.0).expect("canonical dir");
    assert_eq!(
        err.to_string(),
        format!(
            "another whygo server is using {} (pid {}); stop it or use another --data-dir",
            canonical.display(),
            std::process::id()
        )
    );
    assert_eq!(psql(pg.port(), "select 1"), "1", "the first one still runs");
}

#[test]
fn a_live_postmaster_in_postmaster_pid_is_reported_as_in_use() {
    let dir = TestDir::new("inuse");
    let pg = EmbeddedPostgres::start(&dir.opts()).expect("start");
    let pid = pg.pid().expect("pid");
    assert_eq!(
        inspect_pid_file(pg.data_dir()).expect("inspect"),
        PidFile::Live {
            pid,
            stopping: false
        }
    );
    // Without the directory lock (as if another tool had started it),
    // the check on postmaster.pid still refuses the directory.
    let err = clear_stale_state(&dir.0, pg.data_dir()).expect_err("in use");
    assert!(
        err.to_string()
            .contains(&format!("is using {} (pid {pid})", dir.0.display())),
        "{err}"
    );
}

#[test]
fn a_folder_that_is_not_a_cluster_is_left_alone() {
    let dir = TestDir::new("notacluster");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::create_dir(dir.0.join("pgdata")).expect("mkdir");
    fs::write(dir.0.join("pgdata/precious.txt"), "keep me").expect("write");
    let err = EmbeddedPostgres::start(&dir.opts()).expect_err("must refuse");
    assert!(matches!(err, EmbeddedError::NotACluster { .. }), "{err}");
    assert!(err.to_string().contains("use another --data-dir"), "{err}");
    assert!(dir.0.join("pgdata/precious.txt").exists());
}

/// A bindir whose `initdb` is the given shell script and whose `postgres`
/// is the real one. Mode 0755, so that `postgres` (when we are root) can
/// run it.
fn fake_bindir(initdb_script: &str) -> TestDir {
    let bin = TestDir::new("fakebin");
    fs::set_permissions(&bin.0, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(bin.0.join("initdb"), initdb_script).expect("write initdb");
    fs::set_permissions(bin.0.join("initdb"), fs::Permissions::from_mode(0o755)).expect("chmod");
    std::os::unix::fs::symlink(bindir().join("postgres"), bin.0.join("postgres"))
        .expect("link postgres");
    bin
}

#[test]
fn a_failing_initdb_is_reported_with_its_output() {
    let bin = fake_bindir("#!/bin/sh\necho 'initdb: error: the disk is on fire' >&2\nexit 3\n");
    let dir = TestDir::new("initdbfails");
    let err = EmbeddedPostgres::start_with_bindir(&dir.opts(), &bin.0).expect_err("initdb fails");
    let message = err.to_string();
    assert!(
        message.starts_with("initdb failed (exit code 3)"),
        "{message}"
    );
    assert!(message.contains("the disk is on fire"), "{message}");
    assert!(!dir.0.join(DATA_SUBDIR).exists());
    assert!(!dir.0.join(INIT_SUBDIR).exists());
}

#[test]
fn without_the_c_utf8_locale_the_cluster_falls_back_to_c() {
    let real_initdb = bindir().join("initdb");
    let bin = fake_bindir(&format!(
        "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = --locale=C.UTF-8 ]; then\n    echo 'initdb: error: invalid locale name \"C.UTF-8\"' >&2; exit 1\n  fi\ndone\nexec '{}' \"$@\"\n",
        real_initdb.display()
    ));
    let dir = TestDir::new("nolocale");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod");
    // What an initdb killed half-way leaves behind is cleared too.
    fs::create_dir(dir.0.join(INIT_SUBDIR)).expect("mkdir");
    fs::write(dir.0.join(INIT_SUBDIR).join("junk"), "x").expect("write");
    let pg = EmbeddedPostgres::start_with_bindir(&dir.opts(), &bin.0).expect("start");
    assert_eq!(psql(pg.port(), "show lc_collate"), "C");
    assert_eq!(psql(pg.port(), "show server_encoding"), "UTF8");
}

#[test]
fn an_empty_whygo_pg_bindir_asks_to_install_postgresql() {
    let empty = TestDir::new("emptybin");
    let err = find_bindir_from(Some(empty.0.as_os_str())).expect_err("no binaries there");
    let message = err.to_string();
    assert!(message.contains(BINDIR_ENV), "{message}");
    assert!(
        message.contains(
            "install PostgreSQL server binaries, e.g. `apt-get install postgresql` on Debian/Ubuntu, or set DATABASE_URL to use an existing server"
        ),
        "{message}"
    );
}

#[test]
fn the_bindir_is_found_without_the_environment_variable() {
    let dir = find_bindir_from(None).expect("found on this machine");
    assert!(has_server_binaries(&dir), "{}", dir.display());
    // Symlinks were followed: the client tools are siblings.
    assert!(dir.join("psql").is_file(), "{}", dir.display());
}

#[test]
fn the_highest_versioned_bindir_wins() {
    let root = TestDir::new("versions");
    for version in ["9.6", "10", "15", "notaversion"] {
        let bin = root.0.join(version).join("bin");
        fs::create_dir_all(&bin).expect("mkdir");
        for tool in ["postgres", "initdb"] {
            fs::write(bin.join(tool), "#!/bin/sh\n").expect("write");
            fs::set_permissions(bin.join(tool), fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    fs::create_dir_all(root.0.join("16/bin")).expect("a version without binaries");
    assert_eq!(
        newest_versioned_bindir(&root.0),
        Some(root.0.join("15/bin"))
    );
}

#[test]
fn a_missing_system_user_gives_a_clear_error() {
    let err = system_user("whygo-no-such-user").expect_err("no such user");
    let message = err.to_string();
    assert!(
        message.contains("install the postgresql package"),
        "{message}"
    );
    assert!(message.contains("run whygo as a normal user"), "{message}");
}

#[test]
fn the_postgres_system_user_is_found_when_present() {
    // The machines that run these tests have the postgresql package.
    let user = system_user(SYSTEM_USER).expect("the postgres user");
    assert_ne!(user.uid, 0);
}

#[test]
fn a_folder_the_cluster_user_cannot_enter_is_named() {
    let root = TestDir::new("private"); // mode 0700, ours
    let inner = root.0.join("data");
    fs::create_dir(&inner).expect("mkdir");
    let stranger = RunAs {
        name: "stranger".to_owned(),
        uid: effective_uid().wrapping_add(54_321),
        gid: 54_321,
    };
    let err = check_traversable(&inner, &stranger).expect_err("0700 is closed to others");
    match &err {
        EmbeddedError::NotTraversable { path, .. } => assert_eq!(path, &root.0),
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("chmod o+x"), "{err}");
}

#[test]
fn a_cluster_owned_by_someone_else_is_refused_with_the_fix() {
    let dir = TestDir::new("owner");
    let stranger = RunAs {
        name: "stranger".to_owned(),
        uid: effective_uid().wrapping_add(54_321),
        gid: 54_321,
    };
    let err = check_owner(&dir.0, Some(&stranger)).expect_err("not the stranger's");
    let message = err.to_string();
    assert!(message.contains("run whygo as its owner"), "{message}");
    assert!(
        message.contains(&format!("chown -R stranger {}", dir.0.display())),
        "{message}"
    );
    check_owner(&dir.0, None).expect("ours");
}

#[test]
fn the_startup_probe_reads_the_sqlstate_of_an_error() {
    let body = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0";
    assert_eq!(sqlstate(body), Some("57P03"));
    assert_eq!(sqlstate(b"SFATAL\0\0"), None);
    assert_eq!(sqlstate(b""), None);
    let message = startup_message("postgres", "postgres");
    assert_eq!(
        usize::try_from(i32::from_be_bytes([
            message[0], message[1], message[2], message[3]
        ]))
        .expect("length"),
        message.len()
    );
}

#[test]
fn a_port_taken_by_another_program_is_recognized_in_the_log() {
    let tail = "LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use\nFATAL:  could not create any TCP/IP sockets";
    assert!(port_was_taken(tail));
    assert!(!port_was_taken(
        "FATAL:  data directory has wrong ownership"
    ));
}

#[test]
fn first_start_and_restart_times_are_reported() {
    for durable in [false, true] {
        let dir = TestDir::new("timing");
        let opts = EmbeddedOptions {
            dir: dir.0.clone(),
            durable,
        };
        let begun = Instant::now();
        let mut pg = EmbeddedPostgres::start(&opts).expect("first start");
        let first = begun.elapsed();
        pg.stop().expect("stop");
        let begun = Instant::now();
        let mut pg = EmbeddedPostgres::start(&opts).expect("restart");
        let restart = begun.elapsed();
        let begun = Instant::now();
        pg.stop().expect("stop");
        let stop = begun.elapsed();
        eprintln!(
            "durable={durable}: first start (initdb + start) {first:?}, restart {restart:?}, stop {stop:?}"
        );
        assert!(first < Duration::from_secs(60) && restart < Duration::from_secs(30));
    }
}
