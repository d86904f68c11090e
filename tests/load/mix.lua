-- wrk script for serve_load_test.sh and bench/run serve: every connection
-- asks in turn for the naive, optimized and eager endpoints, /health and a
-- path that is not served (404), and the answers are counted by kind (from
-- the status and the body's "implementation"). An argument after `--`
-- stops each thread after that many answers (wrk's -d is then a ceiling).
-- done() prints one line: "mix: naive=N optimized=N eager=N health=N
-- notfound=N other=N untimed=N", untimed the lab's answers (naive,
-- optimized, eager) without a Server-Timing header.
local paths = { "/users/analytics", "/users/analytics/optimized", "/users/analytics/eager", "/health", "/nope" }
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	limit = tonumber(args[1] or "0")
	sent = 0
	answers = 0
	counts = { naive = 0, optimized = 0, eager = 0, health = 0, notfound = 0, other = 0, untimed = 0 }
end

function request()
	sent = sent + 1
	return wrk.format("GET", paths[(sent - 1) % #paths + 1])
end

function response(status, headers, body)
	local kind = "other"
	if status == 404 then
		kind = "notfound"
	elseif status == 200 then
		local impl = body:match('"implementation":"(%a+)"')
		if impl == "naive" or impl == "optimized" or impl == "eager" then
			kind = impl
			if headers["Server-Timing"] == nil then
				counts.untimed = counts.untimed + 1
			end
		elseif body:find('"status":"ok"', 1, true) then
			kind = "health"
		end
	end
	counts[kind] = counts[kind] + 1
	answers = answers + 1
	if limit > 0 and answers >= limit then
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local total = { naive = 0, optimized = 0, eager = 0, health = 0, notfound = 0, other = 0, untimed = 0 }
	for _, t in ipairs(threads) do
		local c = t:get("counts")
		for k, v in pairs(c) do
			total[k] = total[k] + v
		end
	end
	io.write(string.format("mix: naive=%d optimized=%d eager=%d health=%d notfound=%d other=%d untimed=%d\n",
		total.naive, total.optimized, total.eager, total.health, total.notfound, total.other, total.untimed))
end
