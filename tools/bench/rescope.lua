-- POST /v3/auth/tokens, method token: rescope BENCH_UNSCOPED_TOKEN to project admin.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"auth":{"identity":{"methods":["token"],"token":{"id":"%s"}},' ..
  '"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}',
  os.getenv("BENCH_UNSCOPED_TOKEN"))
