import asyncio, sys
from bench._harness import fleet, rom_serve
from bench.order_path import intake
n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
with fleet(3) as ep, rom_serve(ep, ROM_REACHABILITY_CHECKS="false") as c:
    u = str(c.base_url)
    asyncio.run(intake(u, ["r1","r2","r3"], 10, 1, 4, first=100000))
    for r in range(3):
        p, g = asyncio.run(intake(u, ["r1","r2","r3"], n, n, 16, first=n*r))
        print(f"round {r+1}: {p:.0f} POSTs/s {g:.0f} GETs/s", flush=True)
