/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-helper-child.h"

/* How much helper output is read back; the rest is not worth a message. */
#define OUTPUT_READ_MAX 8192

extern char **environ;

/*
 * No caller can influence the daemon's environment, but the daemon's is
 * still not the helper's business (systemd's NOTIFY_SOCKET, a debugging
 * LIBMOUNT_DEBUG or G_MESSAGES_DEBUG, the bus address...).  A fixed PATH
 * matters: helpers run other programs by name (sshfs runs "ssh",
 * mount.glusterfs is a shell script).
 */
const char *const refmount_helper_environment[] = {
  "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
  "LANG=C",
  NULL,
};

/* What the child reports back over a pipe; plain data, fixed size. */
typedef struct
{
  int  rc;
  int  status;
  int  helper_executed;
  int  helper_status;
  int  syscall_errno;
  char message[512];
} ChildReport;

void
refmount_helper_result_clear (RefmountHelperResult *result)
{
  g_clear_pointer (&result->message, g_free);
  g_clear_pointer (&result->output, g_free);
}

/* GCOVR_EXCL_START: kill_own_group() and child_main() run only in the
 * forked child, which leaves by _exit() and so never writes its gcov
 * counters; tools/coverage would report them as never run. */
/* Async-signal-safe: the child's whole process group, itself included. */
static void
kill_own_group (int sig)
{
  kill (0, SIGKILL);
}

/*
 * The child of a multithreaded process: it only uses libmount (which
 * builds on malloc and stdio, both kept usable after fork by glibc) and
 * async-signal-safe calls, never GLib.  The context was built by the
 * parent; the child only runs it.
 */
G_GNUC_NORETURN static void
child_main (struct libmnt_context *cxt,
            pid_t                  parent,
            int                    report_fd,
            int                    output_fd,
            int                    null_fd)
{
  ChildReport      report;
  struct sigaction dfl, kill_group;
  sigset_t         none;
  int              sig;

  memset (&report, 0, sizeof report);
  memset (&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  memset (&kill_group, 0, sizeof kill_group);
  kill_group.sa_handler = kill_own_group;

  /* A session (and so a process group) of its own: a timeout kills the
   * helper and everything it started as one group, and what a helper
   * leaves running for a mount (sshfs, the glusterfs client, their ssh)
   * shares neither refmountd's process group nor its session, so that
   * nothing aimed at refmountd's (a terminal hangup, kill -- -PGID)
   * reaches a live mount's server.  Not setpgid() in the parent too: a
   * group leader cannot call setsid(); a kill before this point hits the
   * child by its pid. */
  setsid ();

  /* fork() keeps the calling thread's signal mask (GLib threads block
   * every signal) and ignored signals (GDBus ignores SIGPIPE), and exec
   * keeps both: a helper must start with the defaults. */
  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &dfl, NULL);

  /* This process, the helper and what the helper started die with the
   * thread that forked them (refmountd exiting, crashing, or killed by
   * systemd at TimeoutStopSec): the unit stops only refmountd itself
   * (KillMode=process, so that FUSE servers of live mounts survive a
   * restart), and a helper nobody waits for must not finish a mount
   * nobody records.  Until it execs the helper, this process also holds
   * the daemon's bus socket, which would keep the name owned.  What a
   * helper leaves running for a finished mount is not in danger: this
   * process has exited by then, and FUSE servers daemonize into a
   * session of their own.  The helper's exec resets the handler. */
  sigaction (SIGTERM, &kill_group, NULL);
  if (prctl (PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid () != parent)
    _exit (127);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  if (dup2 (null_fd, STDIN_FILENO) < 0 ||
      dup2 (output_fd, STDOUT_FILENO) < 0 ||
      dup2 (output_fd, STDERR_FILENO) < 0)
    _exit (127);

  /* Nothing of the daemon's but these three reaches the helper: every
   * other fd (directories of other callers' mountpoints, mountinfo,
   * whatever the daemon inherited) is closed at exec.  Flagged rather
   * than closed now: libmount still runs in this process first, and the
   * report pipe is written after the helper has finished. */
  refmount_fds_set_cloexec_from (STDERR_FILENO + 1);

  /* exec_helper() in libmount uses execv(), i.e. this environment. */
  environ = (char **) refmount_helper_environment;

  report.rc = mnt_context_mount (cxt);
  report.status = mnt_context_get_status (cxt);
  report.helper_executed = mnt_context_helper_executed (cxt);
  report.helper_status = report.helper_executed ? mnt_context_get_helper_status (cxt) : 0;
  report.syscall_errno = mnt_context_syscall_called (cxt) ? mnt_context_get_syscall_errno (cxt) : 0;
  mnt_context_get_excode (cxt, report.rc, report.message, sizeof report.message);
  report.message[sizeof report.message - 1] = '\0';

  refmount_write_all (report_fd, &report, sizeof report);
  _exit (0);
}
/* GCOVR_EXCL_STOP */

char *
refmount_helper_clean_output (const char *raw,
                              gsize       len,
                              gsize       max_len)
{
  g_autofree char    *valid = g_utf8_make_valid (raw != NULL ? raw : "", raw != NULL ? (gssize) len : 0);
  g_autoptr (GString) out = g_string_new ("");
  g_auto (GStrv) lines = g_strsplit (valid, "\n", -1);
  gsize i;

  for (i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GString) line = g_string_new ("");
      const char         *p;

      for (p = lines[i]; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          g_string_append_unichar (line, g_unichar_iscntrl (c) ? ' ' : c);
        }
      g_strstrip (line->str);
      if (line->str[0] == '\0')
        continue;
      if (out->len > 0)
        g_string_append (out, "; ");
      g_string_append (out, line->str);
    }

  if (out->len > max_len)
    {
      const char *end = g_utf8_find_prev_char (out->str, out->str + max_len + 1);

      g_string_truncate (out, end != NULL ? (gsize) (end - out->str) : 0);
      g_string_append (out, "…");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
refmount_helper_child_mount (struct libmnt_context *cxt,
                             gint64                 deadline,
                             RefmountHelperResult  *result,
                             GError               **error)
{
  ChildReport      report;
  int              report_pipe[2] = { -1, -1 };
  int              output_fd, null_fd, wstatus = 0;
  pid_t            pid, parent;
  gsize            got;
  gboolean         timed_out = FALSE;
  g_autofree char *raw = NULL;
  ssize_t          raw_len;

  memset (result, 0, sizeof *result);
  memset (&report, 0, sizeof report);

  /* The helper's output goes to an anonymous file, not a pipe: whatever a
   * helper leaves running (sshfs's ssh) may keep writing to it without
   * ever blocking or dying of SIGPIPE once the daemon has read it. */
  output_fd = memfd_create ("refmount-helper-output", MFD_CLOEXEC);
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (output_fd < 0 || null_fd < 0 || pipe2 (report_pipe, O_CLOEXEC) < 0)
    {
      int errsv = errno;

      refmount_clear_fd (&output_fd);
      refmount_clear_fd (&null_fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot prepare the mount helper's process: %s", g_strerror (errsv));
      return FALSE;
    }

  parent = getpid ();
  pid = fork ();
  if (pid < 0)
    {
      int errsv = errno;

      refmount_clear_fd (&output_fd);
      refmount_clear_fd (&null_fd);
      refmount_clear_fd (&report_pipe[0]);
      refmount_clear_fd (&report_pipe[1]);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot start the mount helper's process: %s", g_strerror (errsv));
      return FALSE;
    }
  if (pid == 0)
    child_main (cxt, parent, report_pipe[1], output_fd, null_fd);

  refmount_clear_fd (&report_pipe[1]);
  refmount_clear_fd (&null_fd);

  got = refmount_read_all (report_pipe[0], &report, sizeof report, deadline, &timed_out);
  refmount_clear_fd (&report_pipe[0]);
  if (timed_out)
    {
      /* The whole group: the child, the helper and e.g. its ssh. */
      kill (-pid, SIGKILL);
      kill (pid, SIGKILL);
    }
  while (waitpid (pid, &wstatus, 0) < 0 && errno == EINTR)
    ;

  raw = g_malloc (OUTPUT_READ_MAX);
  raw_len = refmount_pread_all (output_fd, raw, OUTPUT_READ_MAX, 0);
  refmount_clear_fd (&output_fd);
  result->output = refmount_helper_clean_output (raw, raw_len > 0 ? (gsize) raw_len : 0, 1024);
  result->timed_out = timed_out;

  if (got == sizeof report)
    {
      report.message[sizeof report.message - 1] = '\0';
      /* For a helper, status 1 only means that exec() worked; its exit
       * status says whether it mounted. */
      result->mounted = report.rc == 0 && report.status == 1 &&
                        (!report.helper_executed || report.helper_status == 0);
      result->helper_executed = report.helper_executed != 0;
      result->helper_status = report.helper_status;
      result->syscall_errno = report.syscall_errno;
      result->message = g_strdup (report.message);
    }
  else if (timed_out)
    result->message = g_strdup ("killed when MountTimeoutSec passed");
  else if (WIFSIGNALED (wstatus))
    result->message = g_strdup_printf ("the mount process was killed by signal %d",
                                       WTERMSIG (wstatus));
  else
    result->message = g_strdup_printf ("the mount process exited with status %d without a result",
                                       WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : -1);

  return TRUE;
}
