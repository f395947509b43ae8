//! Write-behind for a first import: the database file's page writes go to
//! the idle core.
//!
//! A large import into an empty archive (`SqliteStore::begin_import_batch`)
//! writes every page of the new file once, from the one thread that owns
//! SQLite's connection. The `pwrite` of each page — the kernel copying it
//! into its page cache — was about a sixth of that thread's time, while the
//! other core, which parses and prepares the rows, idles for much of the
//! import (BENCHMARKS.md). This module is a SQLite VFS that wraps the
//! platform's own and, while write-behind is on for a file, hands that
//! file's page writes to a worker thread of its own instead of making them
//! at once.
//!
//! What makes that safe is that only `xWrite` is deferred, in order, and
//! that every other call on the file — read, sync, size, truncate, lock,
//! unlock, file control — first waits until every deferred write has been
//! made (and reports the first one that failed). So SQLite, and every other
//! process, sees the file exactly as if each write had been made when it
//! was asked for: a read returns what was last written, `xSync` makes every
//! earlier write durable before it returns, and no lock is released with a
//! write still pending. A write is only ever made later than SQLite asked,
//! never earlier, so the rollback journal's rule — the journal is synced
//! before the pages it protects are overwritten — still holds; and since
//! deleting the journal is what commits, deleting any file first waits for
//! every file's deferred writes too (which matters only with `synchronous =
//! OFF`; archives use `FULL`, where the sync already did it), and fails if
//! a write to its own database failed — not another archive's. If the
//! process dies with writes pending, the file is as after a crash in the
//! middle of SQLite's own writes: the hot journal rolls it back on the next
//! open.
//!
//! On Linux the worker also asks the kernel, after every [`WRITE_OUT_EVERY`]
//! bytes, to start writing the file's dirty pages to the disk
//! (`sync_file_range` with `SYNC_FILE_RANGE_WRITE` only: it waits for
//! nothing and promises nothing). Without it the kernel left most of a
//! large import's file dirty until the commit's `fsync`, which then wrote
//! it all while the import waited; the import's sync is unchanged, so
//! durability is exactly what it was.
//!
//! The pages handed over are what SQLCipher's codec produced — ciphertext;
//! the queue holds nothing the file would not. Write-behind is off unless a
//! connection turns it on for its main database with [`set`]; with it off,
//! every call goes straight to the platform's VFS.

use crate::StoreError;
use rusqlite::Connection;
use rusqlite::ffi;
use std::collections::VecDeque;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};

/// The VFS's name, given to `sqlite3_open_v2`.
pub(crate) const VFS_NAME: &CStr = c"tumen-write-behind";

/// The file-control opcode that turns write-behind on (`*arg != 0`) or off
/// for a file. Outside SQLite's own range of opcodes.
const FCNTL_WRITE_BEHIND: c_int = 0x7475_6D01;

/// Pages waiting at most; a writer that is further ahead waits for the
/// worker (8 MiB of 4 KiB pages).
const MAX_QUEUED: usize = 2048;

/// Pages queued before the worker is woken: a wake-up is a system call and
/// a context switch, and one per page (the worker keeps up easily) was
/// 25,000 a second. A drain or a stop wakes it whatever the count.
const WAKE_AT: usize = 64;

/// Bytes of deferred writes after which the worker starts the kernel's
/// write-out of the file (see the module documentation). Measured on a
/// 1.2 GB first import: the commit fell from ≈ 0.9 s to ≈ 0.13 s, the
/// bench's import by 3–10 % in alternating runs and the command's by ≈ 1 %
/// (BENCHMARKS.md); 32 and 128 MiB did about as well.
const WRITE_OUT_EVERY: usize = 64 << 20;

/// Spent page buffers kept for reuse.
const MAX_FREE: usize = 256;

/// Register the VFS (once per process) and return its name. It is not the
/// default VFS: only connections opened with its name use it.
pub(crate) fn vfs_name() -> Result<&'static CStr, StoreError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(register)
        .clone()
        .map(|_| VFS_NAME)
        .map_err(StoreError::Invalid)
}

/// Turn write-behind on or off for the main database of `conn`. Returns
/// whether the connection uses this VFS (if not, nothing changed). Turning
/// it off waits for every deferred write and reports the first that failed.
pub(crate) fn set(conn: &Connection, on: bool) -> Result<bool, StoreError> {
    let mut arg: c_int = on.into();
    // SAFETY: the connection is open; `arg` outlives the call, and our
    // xFileControl reads it as a c_int.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            FCNTL_WRITE_BEHIND,
            (&raw mut arg).cast(),
        )
    };
    match rc {
        ffi::SQLITE_OK => Ok(true),
        ffi::SQLITE_NOTFOUND => Ok(false),
        rc => Err(StoreError::Sqlite {
            context: if on {
                "starting the write-behind"
            } else {
                "finishing deferred writes"
            },
            source: rusqlite::Error::SqliteFailure(ffi::Error::new(rc), None),
        }),
    }
}

/// The platform's VFS, which ours wraps.
fn root() -> *mut ffi::sqlite3_vfs {
    static ROOT: OnceLock<usize> = OnceLock::new();
    // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS, which
    // SQLite never frees.
    *ROOT.get_or_init(|| unsafe { ffi::sqlite3_vfs_find(std::ptr::null()) } as usize)
        as *mut ffi::sqlite3_vfs
}

fn register() -> Result<(), String> {
    // SAFETY: SQLite is initialised on demand by sqlite3_vfs_find; the root
    // VFS is static. Our copy is leaked: SQLite keeps the pointer for the
    // life of the process.
    unsafe {
        if ffi::sqlite3_initialize() != ffi::SQLITE_OK {
            return Err("SQLite could not be initialised".into());
        }
        let root = root();
        if root.is_null() {
            return Err("SQLite has no default VFS".into());
        }
        let mut vfs: ffi::sqlite3_vfs = *root;
        // Our file structure, then the platform's, 8-byte aligned.
        vfs.szOsFile = (inner_offset() + (*root).szOsFile as usize) as c_int;
        vfs.pNext = std::ptr::null_mut();
        vfs.zName = VFS_NAME.as_ptr();
        vfs.pAppData = std::ptr::null_mut();
        vfs.xOpen = Some(wb_open);
        vfs.xDelete = Some(wb_delete);
        // The rest (access, full path name, randomness, time, …) are the
        // platform's: the Unix ones do not look at the VFS they are given.
        if (*root).iVersion > 2 {
            vfs.iVersion = 2;
        }
        let vfs = Box::into_raw(Box::new(vfs));
        let rc = ffi::sqlite3_vfs_register(vfs, 0);
        if rc != ffi::SQLITE_OK {
            return Err(format!("registering the write-behind VFS failed ({rc})"));
        }
    }
    Ok(())
}

/// What the worker and the writing thread share while write-behind is on.
struct Behind {
    queue: Mutex<Queue>,
    /// The worker waits here for pages.
    work: Condvar,
    /// The writing thread waits here for room in the queue, and a drain
    /// for the queue to empty.
    progress: Condvar,
    /// The database file's name as SQLite gave it (a full path), if any:
    /// its journals are named after it.
    name: Option<Vec<u8>>,
    /// See `FAIL_AFTER`.
    #[cfg(test)]
    fail_after: std::sync::atomic::AtomicI64,
    /// See `WRITE_OUT_AFTER`.
    #[cfg(test)]
    write_out_every: usize,
}

#[derive(Default)]
struct Queue {
    /// (offset, bytes), in the order SQLite wrote them.
    pages: VecDeque<(i64, Vec<u8>)>,
    /// The worker is making a write it has taken off `pages`.
    busy: bool,
    /// Threads waiting on `progress`: the worker wakes them only if there
    /// are any (a wake-up is a system call; one per page was a few per
    /// cent of the writing thread).
    waiting: usize,
    /// The code of the first failed write not yet reported, or 0.
    error: c_int,
    free: Vec<Vec<u8>>,
    stop: bool,
}

impl Behind {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A poisoned lock means the worker panicked; its state is still
        // consistent (every change is made under the lock in one step).
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until every deferred write is made; the code of the first that
    /// failed, if any. A failure stays reported, to every call on the file,
    /// until write-behind is turned off: SQLite ignores the result of some
    /// calls (hints, some file controls), and a failure it never saw would
    /// let it commit a file with a page missing. Seeing it, SQLite's pager
    /// gives up the transaction and the hot journal restores the file.
    fn drain(&self) -> c_int {
        let mut q = self.lock();
        while !q.pages.is_empty() || q.busy {
            q.waiting += 1;
            // The worker may sleep on fewer than `WAKE_AT` pages.
            self.work.notify_one();
            q = self.progress.wait(q).unwrap_or_else(|e| e.into_inner());
            q.waiting -= 1;
        }
        q.error
    }
}

/// Files with write-behind on, for `wb_delete` to wait for.
fn active() -> MutexGuard<'static, Vec<Weak<Behind>>> {
    static ACTIVE: Mutex<Vec<Weak<Behind>>> = Mutex::new(Vec::new());
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Our file: SQLite's base structure first (it calls our methods through
/// it), the platform's file after it in the same allocation.
#[repr(C)]
struct WbFile {
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    behind: Option<Arc<Behind>>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// The platform file's descriptor, where it could be found and checked
    /// (a main database on Linux), for the worker's write-out hints.
    descriptor: Option<c_int>,
    /// The file's name, for a main database.
    name: Option<Vec<u8>>,
}

fn inner_offset() -> usize {
    std::mem::size_of::<WbFile>().next_multiple_of(8)
}

/// The platform's file of a worker, handed to its thread.
struct InnerFile(*mut ffi::sqlite3_file);
// SAFETY: the worker is the only one to call the inner file while it
// holds a write (`busy`); every other call on it waits for the queue to
// empty first, and the worker is joined before the file is closed.
unsafe impl Send for InnerFile {}

impl InnerFile {
    fn write(&self, bytes: &[u8], offset: i64, _behind: &Behind) -> c_int {
        #[cfg(test)]
        if _behind
            .fail_after
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 0
        {
            return ffi::SQLITE_IOERR_WRITE;
        }
        // SAFETY: see `Send` above; the inner file is open.
        unsafe {
            match (*(*self.0).pMethods).xWrite {
                Some(w) => w(self.0, bytes.as_ptr().cast(), bytes.len() as c_int, offset),
                None => ffi::SQLITE_IOERR_WRITE,
            }
        }
    }
}

/// The descriptor of `inner`, a file of the platform VFS `root` just
/// opened at `path`, if it is SQLite's "unix" VFS and the descriptor found
/// is that file's.
///
/// # Safety
/// `inner` is open, with `(*root).szOsFile` bytes; `path` is a C string.
#[cfg(target_os = "linux")]
unsafe fn platform_descriptor(
    root: *const ffi::sqlite3_vfs,
    inner: *const ffi::sqlite3_file,
    path: *const c_char,
) -> Option<c_int> {
    // SQLite's unixFile starts { methods, vfs, inode, int h }, the same
    // since SQLite 3.6; it is not public, so the value read is checked
    // against the path before it is used, and any other VFS is skipped.
    let at = 3 * std::mem::size_of::<*const c_void>();
    // SAFETY: the caller's contract; the read stays inside the file's
    // `szOsFile` bytes, and fstat/stat only read.
    unsafe {
        let vfs = CStr::from_ptr((*root).zName);
        if !vfs.to_bytes().starts_with(b"unix")
            || ((*root).szOsFile as usize) < at + std::mem::size_of::<c_int>()
            || path.is_null()
        {
            return None;
        }
        let fd = inner.cast::<u8>().add(at).cast::<c_int>().read_unaligned();
        let (mut a, mut b) = (
            std::mem::zeroed::<libc::stat>(),
            std::mem::zeroed::<libc::stat>(),
        );
        if fd < 0 || libc::fstat(fd, &mut a) != 0 || libc::stat(path, &mut b) != 0 {
            return None;
        }
        (a.st_dev == b.st_dev && a.st_ino == b.st_ino).then_some(fd)
    }
}

#[cfg(not(target_os = "linux"))]
unsafe fn platform_descriptor(
    _root: *const ffi::sqlite3_vfs,
    _inner: *const ffi::sqlite3_file,
    _path: *const c_char,
) -> Option<c_int> {
    None
}

/// Ask the kernel to start writing the file's dirty pages out; a hint,
/// whose failure changes nothing.
fn start_write_out(fd: c_int) {
    #[cfg(target_os = "linux")]
    // SAFETY: `fd` is open for as long as the worker runs (it is joined
    // before the file is closed); the call only starts I/O.
    unsafe {
        libc::sync_file_range(fd, 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
    #[cfg(test)]
    WRITE_OUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

fn work(behind: Arc<Behind>, file: InnerFile, descriptor: Option<c_int>) {
    #[cfg(not(test))]
    let every = WRITE_OUT_EVERY;
    #[cfg(test)]
    let every = behind.write_out_every;
    let mut unhinted = 0usize;
    loop {
        let (offset, bytes) = {
            let mut q = behind.lock();
            loop {
                // Once woken, the worker writes until the queue is empty.
                if q.busy || q.pages.len() >= WAKE_AT || q.waiting > 0 || q.stop {
                    if let Some(p) = q.pages.pop_front() {
                        q.busy = true;
                        break p;
                    }
                    if q.stop {
                        return;
                    }
                }
                q.busy = false;
                q = behind.work.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let rc = file.write(&bytes, offset, &behind);
        unhinted += bytes.len();
        if let Some(fd) = descriptor.filter(|_| unhinted >= every) {
            unhinted = 0;
            start_write_out(fd);
        }
        let mut q = behind.lock();
        // `busy` stays set while pages are left: the loop above takes the
        // next one without waiting for `WAKE_AT` again.
        q.busy = !q.pages.is_empty();
        if rc != ffi::SQLITE_OK && q.error == 0 {
            q.error = rc;
        }
        if q.free.len() < MAX_FREE {
            q.free.push(bytes);
        }
        let wake = q.waiting > 0;
        drop(q);
        if wake {
            behind.progress.notify_all();
        }
    }
}

/// # Safety
/// `f` is a file this VFS opened.
unsafe fn wb<'a>(f: *mut ffi::sqlite3_file) -> &'a mut WbFile {
    // SAFETY: SQLite hands back the pointer it got from wb_open.
    unsafe { &mut *f.cast::<WbFile>() }
}

/// The platform's methods of `w`'s file.
///
/// # Safety
/// `w` is open.
unsafe fn methods(w: &WbFile) -> &ffi::sqlite3_io_methods {
    // SAFETY: an open inner file has its methods set.
    unsafe { &*(*w.inner).pMethods }
}

impl WbFile {
    /// Wait for deferred writes: `Err` with the code of one that failed.
    fn settle(&self) -> Result<(), c_int> {
        match &self.behind {
            None => Ok(()),
            Some(b) => match b.drain() {
                ffi::SQLITE_OK => Ok(()),
                rc => Err(rc),
            },
        }
    }

    fn start(&mut self) -> c_int {
        if self.behind.is_some() {
            return ffi::SQLITE_OK;
        }
        let behind = Arc::new(Behind {
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            name: self.name.clone(),
            #[cfg(test)]
            fail_after: std::sync::atomic::AtomicI64::new(
                FAIL_AFTER.get().map_or(-1, |n| n as i64),
            ),
            #[cfg(test)]
            write_out_every: WRITE_OUT_AFTER.get().unwrap_or(WRITE_OUT_EVERY),
        });
        let (b, file, fd) = (behind.clone(), InnerFile(self.inner), self.descriptor);
        match std::thread::Builder::new()
            .name("tumen-write-behind".into())
            .spawn(move || work(b, file, fd))
        {
            Ok(h) => {
                active().push(Arc::downgrade(&behind));
                self.behind = Some(behind);
                self.worker = Some(h);
                ffi::SQLITE_OK
            }
            Err(_) => ffi::SQLITE_ERROR,
        }
    }

    fn stop(&mut self) -> c_int {
        let Some(behind) = self.behind.take() else {
            return ffi::SQLITE_OK;
        };
        let rc = behind.drain();
        {
            let mut q = behind.lock();
            q.stop = true;
            q.error = ffi::SQLITE_OK;
        }
        behind.work.notify_one();
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
        active().retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), &*behind));
        rc
    }
}

/// Run `$call` on the platform's file after the deferred writes are made.
macro_rules! settled {
    ($f:expr, |$w:ident, $m:ident| $call:expr) => {{
        // SAFETY: SQLite calls us with a file we opened.
        let $w = unsafe { wb($f) };
        if let Err(rc) = $w.settle() {
            return rc;
        }
        // SAFETY: the file is open; no write is in flight.
        let $m = unsafe { methods($w) };
        $call
    }};
}

unsafe extern "C" fn wb_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    f: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let root = root();
    // SAFETY: SQLite gave us szOsFile bytes at `f`, 8-byte aligned; the
    // platform's file goes after ours.
    unsafe {
        let inner = f
            .cast::<u8>()
            .add(inner_offset())
            .cast::<ffi::sqlite3_file>();
        std::ptr::write(
            f.cast::<WbFile>(),
            WbFile {
                base: ffi::sqlite3_file {
                    pMethods: std::ptr::null(),
                },
                inner,
                behind: None,
                worker: None,
                descriptor: None,
                name: None,
            },
        );
        let Some(open) = (*root).xOpen else {
            return ffi::SQLITE_CANTOPEN;
        };
        let rc = open(root, name, inner, flags, out_flags);
        if rc == ffi::SQLITE_OK && flags & ffi::SQLITE_OPEN_MAIN_DB != 0 {
            let w = &mut *f.cast::<WbFile>();
            w.descriptor = platform_descriptor(root, inner, name);
            w.name = (!name.is_null()).then(|| CStr::from_ptr(name).to_bytes().to_vec());
        }
        // SQLite calls xClose only if pMethods is set, even on failure.
        if !(*inner).pMethods.is_null() {
            (*f).pMethods = &METHODS;
        }
        rc
    }
}

unsafe extern "C" fn wb_delete(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    // Deleting a rollback journal commits: no file may still have writes
    // waiting then. Which database a file belongs to is known only by its
    // name, so every queue is waited for; but only a failed write to this
    // file's own database fails the delete — another archive's failure (a
    // second archive open in the same process) is that archive's to report.
    let deleted = if name.is_null() {
        &[][..]
    } else {
        // SAFETY: SQLite passes a NUL-terminated name.
        unsafe { CStr::from_ptr(name) }.to_bytes()
    };
    let live: Vec<Arc<Behind>> = active().iter().filter_map(Weak::upgrade).collect();
    let mut failed = false;
    for b in &live {
        if b.drain() != ffi::SQLITE_OK
            && b.name.as_deref().is_some_and(|db| belongs_to(deleted, db))
        {
            failed = true;
        }
    }
    if failed {
        return ffi::SQLITE_IOERR_DELETE;
    }
    let root = root();
    // SAFETY: the platform VFS is static and has xDelete.
    unsafe {
        match (*root).xDelete {
            Some(d) => d(root, name, sync_dir),
            None => ffi::SQLITE_IOERR_DELETE,
        }
    }
}

/// Whether the file named `file` is the database named `db` or one of its
/// journals (`db-journal`, `db-wal`, `db-mj…`: SQLite names them after it).
fn belongs_to(file: &[u8], db: &[u8]) -> bool {
    file.strip_prefix(db)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"-"))
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(wb_close),
    xRead: Some(wb_read),
    xWrite: Some(wb_write),
    xTruncate: Some(wb_truncate),
    xSync: Some(wb_sync),
    xFileSize: Some(wb_file_size),
    xLock: Some(wb_lock),
    xUnlock: Some(wb_unlock),
    xCheckReservedLock: Some(wb_check_reserved_lock),
    xFileControl: Some(wb_file_control),
    xSectorSize: Some(wb_sector_size),
    xDeviceCharacteristics: Some(wb_device_characteristics),
    xShmMap: Some(wb_shm_map),
    xShmLock: Some(wb_shm_lock),
    xShmBarrier: Some(wb_shm_barrier),
    xShmUnmap: Some(wb_shm_unmap),
    xFetch: Some(wb_fetch),
    xUnfetch: Some(wb_unfetch),
};

unsafe extern "C" fn wb_close(f: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file we opened, once.
    unsafe {
        let w = wb(f);
        let deferred = w.stop();
        let rc = match methods(w).xClose {
            Some(c) => c(w.inner),
            None => ffi::SQLITE_OK,
        };
        std::ptr::drop_in_place(f.cast::<WbFile>());
        if deferred != ffi::SQLITE_OK {
            deferred
        } else {
            rc
        }
    }
}

unsafe extern "C" fn wb_write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite calls us with a file we opened and `amt` bytes at `buf`.
    let w = unsafe { wb(f) };
    let Some(behind) = &w.behind else {
        // SAFETY: as above; nothing is deferred.
        return unsafe {
            match methods(w).xWrite {
                Some(x) => x(w.inner, buf, amt, offset),
                None => ffi::SQLITE_IOERR_WRITE,
            }
        };
    };
    // SAFETY: SQLite hands us `amt` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), amt.max(0) as usize) };
    let mut q = behind.lock();
    if q.error != ffi::SQLITE_OK {
        return q.error;
    }
    while q.pages.len() >= MAX_QUEUED {
        q.waiting += 1;
        q = behind.progress.wait(q).unwrap_or_else(|e| e.into_inner());
        q.waiting -= 1;
    }
    let mut page = q.free.pop().unwrap_or_default();
    page.clear();
    page.extend_from_slice(bytes);
    q.pages.push_back((offset, page));
    // The worker sleeps only when it is not busy; it wants a batch.
    let wake = !q.busy && q.pages.len() == WAKE_AT;
    drop(q);
    if wake {
        behind.work.notify_one();
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn wb_read(
    f: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    settled!(f, |w, m| match m.xRead {
        // SAFETY: SQLite's buffer of `amt` bytes, the open inner file.
        Some(x) => unsafe { x(w.inner, buf, amt, offset) },
        None => ffi::SQLITE_IOERR_READ,
    })
}

unsafe extern "C" fn wb_truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    settled!(f, |w, m| match m.xTruncate {
        // SAFETY: the open inner file.
        Some(x) => unsafe { x(w.inner, size) },
        None => ffi::SQLITE_IOERR_TRUNCATE,
    })
}

unsafe extern "C" fn wb_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    settled!(f, |w, m| match m.xSync {
        // SAFETY: the open inner file.
        Some(x) => unsafe { x(w.inner, flags) },
        None => ffi::SQLITE_IOERR_FSYNC,
    })
}

unsafe extern "C" fn wb_file_size(f: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    settled!(f, |w, m| match m.xFileSize {
        // SAFETY: the open inner file; SQLite's out pointer.
        Some(x) => unsafe { x(w.inner, size) },
        None => ffi::SQLITE_IOERR_FSTAT,
    })
}

unsafe extern "C" fn wb_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    settled!(f, |w, m| match m.xLock {
        // SAFETY: the open inner file.
        Some(x) => unsafe { x(w.inner, level) },
        None => ffi::SQLITE_IOERR_LOCK,
    })
}

unsafe extern "C" fn wb_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    settled!(f, |w, m| match m.xUnlock {
        // SAFETY: the open inner file.
        Some(x) => unsafe { x(w.inner, level) },
        None => ffi::SQLITE_IOERR_UNLOCK,
    })
}

unsafe extern "C" fn wb_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    settled!(f, |w, m| match m.xCheckReservedLock {
        // SAFETY: the open inner file; SQLite's out pointer.
        Some(x) => unsafe { x(w.inner, out) },
        None => ffi::SQLITE_IOERR_CHECKRESERVEDLOCK,
    })
}

unsafe extern "C" fn wb_file_control(
    f: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: SQLite calls us with a file we opened.
    let w = unsafe { wb(f) };
    if op == FCNTL_WRITE_BEHIND {
        // SAFETY: `set` passes a c_int.
        let on = unsafe { *arg.cast::<c_int>() } != 0;
        return if on { w.start() } else { w.stop() };
    }
    if op == ffi::SQLITE_FCNTL_SIZE_HINT && w.behind.is_some() {
        // SQLite sends this as the file grows, before page writes; the
        // platform VFS uses it only with a chunk size or memory mapping,
        // neither of which archives set. Waiting for the queue here would
        // stall every page spill.
        return ffi::SQLITE_OK;
    }
    settled!(f, |w, m| match m.xFileControl {
        // SAFETY: the open inner file; SQLite's argument for `op`.
        Some(x) => unsafe { x(w.inner, op, arg) },
        None => ffi::SQLITE_NOTFOUND,
    })
}

unsafe extern "C" fn wb_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite calls us with a file we opened.
    let w = unsafe { wb(f) };
    // An error cannot be returned here; it stays for the next call.
    let _ = w.settle();
    // SAFETY: the open inner file, no write in flight.
    match unsafe { methods(w) }.xSectorSize {
        Some(x) => unsafe { x(w.inner) },
        None => 4096,
    }
}

unsafe extern "C" fn wb_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite calls us with a file we opened.
    let w = unsafe { wb(f) };
    // As in `wb_sector_size`.
    let _ = w.settle();
    // SAFETY: the open inner file, no write in flight.
    match unsafe { methods(w) }.xDeviceCharacteristics {
        Some(x) => unsafe { x(w.inner) },
        None => 0,
    }
}

unsafe extern "C" fn wb_shm_map(
    f: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    settled!(f, |w, m| match (m.iVersion >= 2, m.xShmMap) {
        // SAFETY: the open inner file; SQLite's arguments.
        (true, Some(x)) => unsafe { x(w.inner, region, size, extend, out) },
        _ => ffi::SQLITE_IOERR_SHMMAP,
    })
}

unsafe extern "C" fn wb_shm_lock(
    f: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    settled!(f, |w, m| match (m.iVersion >= 2, m.xShmLock) {
        // SAFETY: the open inner file.
        (true, Some(x)) => unsafe { x(w.inner, offset, n, flags) },
        _ => ffi::SQLITE_IOERR_SHMLOCK,
    })
}

unsafe extern "C" fn wb_shm_barrier(f: *mut ffi::sqlite3_file) {
    // SAFETY: SQLite calls us with a file we opened.
    let w = unsafe { wb(f) };
    // SAFETY: the open inner file.
    let m = unsafe { methods(w) };
    if let (true, Some(x)) = (m.iVersion >= 2, m.xShmBarrier) {
        // SAFETY: as above.
        unsafe { x(w.inner) }
    }
}

unsafe extern "C" fn wb_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    settled!(f, |w, m| match (m.iVersion >= 2, m.xShmUnmap) {
        // SAFETY: the open inner file.
        (true, Some(x)) => unsafe { x(w.inner, delete) },
        _ => ffi::SQLITE_OK,
    })
}

unsafe extern "C" fn wb_fetch(
    f: *mut ffi::sqlite3_file,
    offset: i64,
    amt: c_int,
    out: *mut *mut c_void,
) -> c_int {
    settled!(f, |w, m| match (m.iVersion >= 3, m.xFetch) {
        // SAFETY: the open inner file; SQLite's out pointer.
        (true, Some(x)) => unsafe { x(w.inner, offset, amt, out) },
        _ => {
            // No memory mapping: SQLite reads instead.
            // SAFETY: SQLite's out pointer.
            unsafe { *out = std::ptr::null_mut() };
            ffi::SQLITE_OK
        }
    })
}

unsafe extern "C" fn wb_unfetch(f: *mut ffi::sqlite3_file, offset: i64, p: *mut c_void) -> c_int {
    // SAFETY: SQLite calls us with a file we opened.
    let w = unsafe { wb(f) };
    // SAFETY: the open inner file.
    let m = unsafe { methods(w) };
    match (m.iVersion >= 3, m.xUnfetch) {
        // SAFETY: as above; a mapping the inner file handed out.
        (true, Some(x)) => unsafe { x(w.inner, offset, p) },
        _ => ffi::SQLITE_OK,
    }
}

#[cfg(test)]
thread_local! {
    /// Deferred writes that succeed before one fails, for write-behind
    /// started on this thread (a test's): how a failed write is reported.
    pub(crate) static FAIL_AFTER: std::cell::Cell<Option<u64>> =
        const { std::cell::Cell::new(None) };
    /// Bytes between write-out hints, for write-behind started on this
    /// thread (a test's), instead of [`WRITE_OUT_EVERY`].
    pub(crate) static WRITE_OUT_AFTER: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

/// Write-out hints given, by every worker of the process (tests compare
/// counts before and after).
#[cfg(test)]
pub(crate) static WRITE_OUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The descriptor found for the main database of `conn`, if any.
#[cfg(test)]
pub(crate) fn descriptor(conn: &Connection) -> Option<c_int> {
    let mut p: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: the connection is open; SQLITE_FCNTL_FILE_POINTER writes the
    // main database's file pointer into `p`.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&raw mut p).cast(),
        )
    };
    if rc != ffi::SQLITE_OK || p.is_null() {
        return None;
    }
    // SAFETY: the file is ours if its methods are (only then is it read
    // as a WbFile).
    unsafe {
        std::ptr::eq((*p).pMethods, &METHODS)
            .then(|| wb(p).descriptor)
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::belongs_to;

    #[test]
    fn a_database_owns_its_journals_and_no_other_file() {
        let db = b"/data/tumen.db";
        for f in [
            &b"/data/tumen.db"[..],
            b"/data/tumen.db-journal",
            b"/data/tumen.db-wal",
            b"/data/tumen.db-mj0A1B2C3D",
        ] {
            assert!(belongs_to(f, db), "{}", String::from_utf8_lossy(f));
        }
        for f in [
            &b"/data/tumen.db2"[..],
            b"/data/tumen.d",
            b"/other/tumen.db-journal",
            b"",
        ] {
            assert!(!belongs_to(f, db), "{}", String::from_utf8_lossy(f));
        }
    }
}
