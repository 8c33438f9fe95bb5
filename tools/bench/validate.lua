-- GET /v3/auth/tokens: validate BENCH_SUBJECT_TOKEN with BENCH_ADMIN_TOKEN.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
wrk.method = "GET"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-Auth-Token"] = os.getenv("BENCH_ADMIN_TOKEN")
wrk.headers["X-Subject-Token"] = os.getenv("BENCH_SUBJECT_TOKEN")
