"""A publisher that stops just before switching the new files into place (the moment with the
most written), says so, and waits to be killed. Usage: killed_publisher.py WAREHOUSE OUT_DIR MARKER"""
import sys
import time
from pathlib import Path

from orchestration.publish import core

warehouse, out_dir, marker = (Path(a) for a in sys.argv[1:4])


def stop_before_switch(*args, **kwargs):
    marker.write_text("about to switch")
    time.sleep(120)  # killed here by the test


core._switch = stop_before_switch
core.publish(warehouse, out_dir, None, run_id="doomed")
