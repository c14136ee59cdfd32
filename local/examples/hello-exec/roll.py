#!/usr/bin/env python3
"""`!roll [NdM]`: rolls N dice with M sides (default 1d6). Python 3 standard library only.

The protocol: print one hello line, then answer each request line {"id", "request"} with
{"id", "result"} or {"id", "error"}. Anything on stderr goes into the bot's log.
"""
import json
import random
import re
import sys

HELLO = {
    "protocol": 1,
    "declarations": {
        "description": "Rolls dice",
        "commands": [
            {
                "name": "roll",
                "help": "Rolls dice, e.g. `roll 2d6`.",
                "usage": "[NdM]",
                "aliases": ["dice"],
            }
        ],
    },
}


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def roll(args):
    spec = args.strip() or "1d6"
    match = re.fullmatch(r"(\d{1,2})d(\d{1,4})", spec)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 2:
        raise ValueError(f"Say it like `2d6` (up to 99 dice, 2 to 9999 sides), not `{spec}`.")
    count, sides = int(match.group(1)), int(match.group(2))
    dice = [random.randint(1, sides) for _ in range(count)]
    if count == 1:
        return f"{spec}: {dice[0]}"
    return f"{spec}: {' + '.join(map(str, dice))} = {sum(dice)}"


def main():
    send(HELLO)
    for line in sys.stdin:
        message = json.loads(line)
        if "id" not in message:
            continue  # an answer to a host call we did not make
        request = message["request"]
        try:
            if request["type"] != "command":
                raise ValueError("this plugin only has commands")
            reply = roll(request["args"])
            send({"host": "log", "level": "info", "message": f"{request['sender']} rolled {reply}"})
            send({"id": message["id"], "result": {"reply": reply}})
        except ValueError as error:
            send({"id": message["id"], "error": str(error)})


if __name__ == "__main__":
    main()
