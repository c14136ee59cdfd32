"""Sends one message to a hangoutsbot-style JSON sink the way hangoutsbot's own test client
(tests/base-send.py) does: `requests.post` with a JSON body, TLS without verification.

usage: hangoutsbot_send.py URL CONTENT [--imagepath FILE] [--imagefilename NAME]
"""
import argparse
import base64
import json

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

args = argparse.ArgumentParser()
args.add_argument("url")
args.add_argument("content")
args.add_argument("-i", "--imagepath")
args.add_argument("-n", "--imagefilename")
options = args.parse_args()

body = {"echo": options.content}
if options.imagepath:
    with open(options.imagepath, "rb") as image:
        body["image"] = {"base64encoded": base64.b64encode(image.read()).decode("ascii")}
    if options.imagefilename:
        body["image"]["filename"] = options.imagefilename

response = requests.post(
    options.url,
    data=json.dumps(body),
    headers={"content-type": "application/json"},
    verify=False,
)
print(response)
print(response.text)
