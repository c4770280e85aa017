-- wrk script: POSTs one photo as multipart/form-data (field "image") on every request.
-- PHOTO names the file; the body is built once.
local photo = os.getenv("PHOTO") or error("set PHOTO to the photo to upload")
local f = assert(io.open(photo, "rb"))
local bytes = f:read("*a")
f:close()
local boundary = "shikakuloadtest7d1f3"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
  "Content-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\n" ..
  "Content-Type: image/jpeg\r\n\r\n" .. bytes .. "\r\n--" .. boundary .. "--\r\n"

local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end
