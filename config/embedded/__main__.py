"""python -m config.embedded status|stop"""

import signal
import sys

from . import main

# SIGINT while stopping must not leave a half-stopped server behind.
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.exit(main())
