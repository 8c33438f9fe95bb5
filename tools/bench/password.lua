-- POST /v3/auth/tokens, method password, scoped to project admin (bcrypt-bound).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin",' ..
  '"domain":{"name":"Default"},"password":"%s"}}},' ..
  '"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}',
  os.getenv("BENCH_PASSWORD"))
