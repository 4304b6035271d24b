<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>A script-mapped page</title></head>
<body>
<h1>Hello from the template engine</h1>
<p>This page is <code>${SCRIPT_NAME}</code>, read by an ISAPI engine
(<code>htdocs/scripts/template.dll</code>) from <code>${PATH_TRANSLATED}</code>
because <code>conf/httpd.conf</code> maps <code>.tpl</code> to it with
<code>ISAPIScriptMap</code>.</p>
<p>You are ${REMOTE_ADDR} using ${HTTP_USER_AGENT}; this server is ${SERVER_SOFTWARE}.</p>
</body>
</html>
