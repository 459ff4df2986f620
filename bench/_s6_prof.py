import cProfile, pstats, sys, tempfile, time
from pathlib import Path
from core.settings import Settings
from core.tmf652 import ResourceOrderCreate
from inventory.context import Context
from inventory.records import Device, upsert_device
from rom.orders import submit_order
from bench._harness import l3vpn_order
n = int(sys.argv[1])
with tempfile.TemporaryDirectory() as d:
    ctx = Context.create(Settings(var_dir=Path(d)))
    with ctx.transaction() as s:
        for name in ("r1", "r2", "r3"):
            upsert_device(s, Device(name=name, host="127.0.0.1", port=1, platform="rom-router", role="pe", source="t"))
    bodies = [ResourceOrderCreate.model_validate({**l3vpn_order([f"r{1 + i % 3}"], 3000 + i), "requestedStartDate": "2099-01-01T00:00:00Z"}) for i in range(n)]
    for b in bodies[:10]:
        submit_order(ctx, b, "c")
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for b in bodies[10:]:
        submit_order(ctx, b, "c")
    prof.disable()
    el = time.perf_counter() - t
    print(f"{(n-10)/el:.1f} submits/s, {1e3*el/(n-10):.2f} ms each (under cProfile)")
    st = pstats.Stats(prof); st.sort_stats(sys.argv[2] if len(sys.argv) > 2 else "cumulative").print_stats(45)
