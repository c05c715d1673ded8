"""Desktop app figures on a 100k-account replica.

    python -m benchmarks.bench_ui [--accounts N] [--data-dir DIR] [--runs N]
        [--only team|sync|pipeline|memory|places|reports|map|admin|restart|cold]

Prints (each stall with how much of it the GUI thread was on the CPU, the rest being
time spent waiting for a core on a loaded machine):
- cold start to an interactive main window: a fresh Python process, from spawn until
  the window is shown with its landing page (Today) and status bar filled and painted;
  target ≤ 1.0 s (``--only cold``: this alone). Also shown: when the window first
  appeared, and when the account list's 100k ids and first rows (loaded in the
  background meanwhile) arrived.
- keystroke to results in the account search: from a key press in the search field
  until the list shows the matching rows (painted); target ≤ 50 ms.
- the longest GUI-thread stall while scrolling the whole list (page steps and thumb
  jumps every 16 ms for a few seconds, measured by a 2 ms heartbeat); target ≤ 100 ms.
- the longest GUI-thread stall while the Reports panel runs every report and grouping
  (each computed in the background, then charted and tabled on the GUI thread) and
  exports one as PDF; target ≤ 100 ms (``--only reports``).
- the longest GUI-thread stall in the Team panel of a manager of 50 reps (every account
  owned by one of them and located): the table computed, a rep's route planned from
  their due accounts, optimised and saved as their visits, the table recomputed; then
  the team map built (page data and HTML in the background), loaded and recoloured.
  QtWebEngine's one-time start (making the first web view) is shown apart; target ≤
  100 ms for the rest.
- the longest GUI-thread stall in the sync screens: the Conflicts panel over 300
  conflicts on 100 accounts (each record shown, a third of them decided), the Refused
  panel once it exists, a sync that cannot reach its server and the sign-in dialog
  failing the same way; target ≤ 100 ms (``--only sync``).
- the Pipeline panel's first open over 50k deals, a search, and the longest stall
  meanwhile (bench_ui/pipeline.py); target ≤ 200 ms to the board, ≤ 100 ms stall
  (``--only pipeline``).
- memory after opening every panel: PSS of the app and its web engine processes
  (bench_ui/memory.py); target ≤ 400 MB together (``--only memory``).
- the longest GUI-thread stall while Nearby lists the accounts 10 and 25 km from one
  and from a typed point, and the unplotted queue lists the accounts without a pin;
  target ≤ 100 ms (``--only places``).
- the longest GUI-thread stall in an admin's Admin panel (bench_ui/admin.py): both lists
  from a real server on loopback, the territory map of every account coloured by
  territory, a territory made and sent; target ≤ 100 ms (``--only admin``); then its
  Proposals tab (bench_ui/proposals.py): opened, and a proposal of 10k accounts previewed
  against the server's territories and records; target ≤ 100 ms.
- the app restarted on the Map panel, markers cached: from spawn to the window, to
  the first markers and to the last, in wall and CPU time, five fresh processes
  (bench_ui/restart.py); target ≤ 2 s to the first markers (``--only restart``).

Runs offscreen unless QT_QPA_PLATFORM says otherwise. One module per measurement
(``startup``, ``accounts``, ``reports``, ``team``, ``sync``, ``pipeline``, ``memory``,
``places``, ``admin``, ``map_panel``, ``restart``), each with a ``rows()`` for the
printed table; ``common`` holds the event-loop wait and the heartbeat they share,
``replica`` the benchmark replica, ``cli`` the command.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The web views: Chromium refuses its sandbox as root and there is no GPU.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
