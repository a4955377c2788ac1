/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interactive authorization as systemctl does it: every call that may
 * need a password carries ALLOW_INTERACTIVE_AUTHORIZATION unless
 * --no-ask-password, so the session's authentication agent (a desktop
 * shell's dialog) may answer even when refmountctl has no terminal, as
 * from a launcher or a GUI's helper.  When stdin is a terminal, a text
 * agent runs for the duration of the call: "pkttyagent --notify-fd N
 * --fallback" (it registers for our process and does not replace a
 * desktop agent); we wait until it says it is registered, make the call,
 * then stop it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "refmountctl-config.h"
#include "refmountctl.h"

struct _RefmountCtlAgent
{
  GSubprocess *process;
};

/* The fd number the agent sees its notify pipe as. */
#define AGENT_NOTIFY_FD 3

static void
wait_until_registered (int fd)
{
  struct pollfd pfd = { fd, POLLIN, 0 };
  char          byte;

  /* The agent writes to the pipe and closes it once it is registered; if
   * it dies instead, the pipe closes as well.  Either ends the wait. */
  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
  while (read (fd, &byte, 1) < 0 && errno == EINTR)
    ;
}

RefmountCtlAgent *
refmountctl_agent_start_if_interactive (gboolean  no_ask_password,
                                        gboolean *out_interactive)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError)              error = NULL;
  RefmountCtlAgent               *agent;
  GSubprocess                    *process;
  int                             pipe_fds[2];

  *out_interactive = !no_ask_password;
  /* Without a terminal, pkttyagent has nobody to ask: the session's
   * agent, if any, does.  refmountd authorizes uid 0 without polkit. */
  if (no_ask_password || !isatty (STDIN_FILENO) || getuid () == 0)
    return NULL;
  if (!g_file_test (REFMOUNTCTL_PKTTYAGENT, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_debug ("%s not found; no text authentication agent", REFMOUNTCTL_PKTTYAGENT);
      return NULL;
    }
  if (pipe2 (pipe_fds, O_CLOEXEC) < 0)
    {
      g_debug ("pipe2: %s", g_strerror (errno));
      return NULL;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, pipe_fds[1], AGENT_NOTIFY_FD);
  process = g_subprocess_launcher_spawn (launcher, &error, REFMOUNTCTL_PKTTYAGENT, "--notify-fd",
                                         G_STRINGIFY (AGENT_NOTIFY_FD), "--fallback", NULL);
  /* Our copy of the write end must be closed, or we would wait forever. */
  g_clear_object (&launcher);
  if (process == NULL)
    {
      g_debug ("Cannot start %s: %s", REFMOUNTCTL_PKTTYAGENT, error->message);
      close (pipe_fds[0]);
      return NULL;
    }
  wait_until_registered (pipe_fds[0]);
  close (pipe_fds[0]);

  agent = g_new0 (RefmountCtlAgent, 1);
  agent->process = process;
  return agent;
}

void
refmountctl_agent_stop (RefmountCtlAgent *agent)
{
  if (agent == NULL)
    return;
  g_subprocess_send_signal (agent->process, SIGTERM);
  g_subprocess_wait (agent->process, NULL, NULL);
  g_object_unref (agent->process);
  g_free (agent);
}
