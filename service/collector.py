"""How a server process asks Python's cyclic garbage collector for less of its time.

A started server holds some 260,000 objects that live as long as it does (modules, the
routes, SQLAlchemy's and Pydantic's compiled structures, the parsed standards), and each
full collection walks all of them: in a steady answer-sync loop on PostgreSQL the collector
took 0.8-0.9 ms a request (three full collections of about 170 ms in ten seconds, young ones
every 700 allocations), more than the sync's database statements. So, once the process has
started:

- everything alive is frozen (``gc.freeze``): moved where no collection looks again. They
  are still freed by reference counting; only a cycle among them that becomes garbage
  later is never collected, which bounds that waste by what the start built;
- the youngest generation is collected after more allocations than Python's 700. Requests
  free nearly all they allocate by reference counting (a sync of 40 answers leaves next to
  nothing to the collector), so a young collection mostly walks live objects for nothing.

Once per process: the first start decides, so a test process that starts many apps freezes
only what existed at the first.
"""

import gc
import threading

_lock = threading.Lock()
_done = False


def settle_after_start(*, freeze: bool, young_threshold: int) -> bool:
    """Freeze what a started process holds and set the youngest generation's threshold,
    the first time it is called in this process. Returns whether this call did it."""
    global _done
    with _lock:
        if _done:
            return False
        _done = True
    if freeze:
        # Collect first: garbage frozen with the rest could never be collected.
        gc.collect()
        gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, oldest)
    return True
