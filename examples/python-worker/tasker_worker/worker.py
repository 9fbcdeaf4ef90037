"""The pull worker: receive, validate, heartbeat, run with a deadline from receipt, result first, delete, events."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Mapping

import boto3

from . import messages as m
from . import schemas
from .config import WorkerConfig
from .handler_api import Handler, PermanentError, RetryableError, StepContext

RETRY_DELAYS_S = (0.05, 0.2, 0.8)
REMEMBERED_ANSWERS = 10_000
log = logging.getLogger("tasker_worker")


@dataclass
class Held:
    """A dispatch message this worker holds: heartbeaten until it is deleted or given up."""

    message_id: str
    receipt: str


@dataclass
class Accepted:
    msg: dict[str, Any]
    received_at: dt.datetime
    attempt_deadline: dt.datetime
    marker: dict[str, Any] | None = None
    ids: dict[str, Any] = field(default_factory=dict)


class Worker:
    def __init__(self, config: WorkerConfig, handlers: Mapping[str, Handler], sqs: Any = None, events: Any = None) -> None:
        self.config, self.handlers = config, handlers
        self.sqs, self.events = sqs or boto3.client("sqs"), events or boto3.client("events")
        self.stopping = threading.Event()
        self.held: dict[str, Held] = {}
        self.answered: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    # ---- the loop --------------------------------------------------------------------------------------------
    def run(self) -> list[str]:
        """Serves the queue until stop(); then drains. Returns the event_ids left unfinished (SQS redelivers them)."""
        threading.Thread(target=self._heartbeats, daemon=True).start()
        pool = ThreadPoolExecutor(max_workers=self.config.concurrency)
        running: dict[Future[None], str] = {}
        while not self.stopping.is_set():
            running = {f: e for f, e in running.items() if not f.done()}
            free = self.config.concurrency - len(running)
            if free <= 0:
                self.stopping.wait(0.05)
                continue
            for accepted in self._receive(free):
                running[pool.submit(self._process, accepted)] = accepted.msg["event_id"]
        _, unfinished = wait(running, timeout=self.config.drain_timeout_s)
        left = [running[f] for f in unfinished]
        for event_id in left:
            self._release(event_id)  # no more heartbeats: redelivered after the visibility timeout
        pool.shutdown(wait=False, cancel_futures=True)
        log.info("drained", extra={"fields": {"unfinished": left}})
        return left

    def stop(self) -> None:
        self.stopping.set()

    def _receive(self, free: int) -> list[Accepted]:
        try:
            got = self.sqs.receive_message(
                QueueUrl=self.config.dispatch_queue_url, MaxNumberOfMessages=min(10, free), WaitTimeSeconds=1,
                VisibilityTimeout=self.config.visibility_timeout_s,
                MessageSystemAttributeNames=["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SentTimestamp"])
        except Exception as error:  # noqa: BLE001 - a failed receive is retried
            log.warning("receive failed", extra={"fields": {"problem": str(error)}})
            self.stopping.wait(1)
            return []
        received_at, raw = m.now(), got.get("Messages", [])
        if self.stopping.is_set():  # drain: what was never started goes back at once
            for message in raw:
                self._call(self.sqs.change_message_visibility, QueueUrl=self.config.dispatch_queue_url,
                           ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
            return []
        accepted = [a for a in (self._accept(message, received_at) for message in raw) if a is not None]
        markers = [a.marker for a in accepted if a.marker is not None]
        if markers:  # one batch, no retries: a lost marker costs knowledge only
            self._call(self.sqs.send_message_batch, QueueUrl=self.config.completion_queue_url,
                       Entries=[{"Id": str(i), "MessageBody": json.dumps(x)} for i, x in enumerate(markers)])
        return accepted

    # ---- parse -----------------------------------------------------------------------------------------------
    def _accept(self, message: dict[str, Any], received_at: dt.datetime) -> Accepted | None:
        body = message.get("Body", "")
        try:
            msg = json.loads(body)
        except ValueError as error:
            self._poison(message, "unparseable_json", f"the body is not valid JSON: {error}")
            return None
        problems = schemas.problems("step-dispatch-message", msg)
        if problems and not schemas.readable_ids(msg):
            self._poison(message, "invalid_message", "not a step dispatch message, and its ids cannot be read: " + "; ".join(problems[:10]))
            return None
        event_id = msg["event_id"]
        with self.lock:
            held, answered = self.held.get(event_id), event_id in self.answered
            if held is not None and held.message_id == message["MessageId"]:
                held.receipt = message["ReceiptHandle"]  # the same message again: keep its newest receipt
                return None
            if held is None and not answered and not problems:
                self.held[event_id] = Held(message["MessageId"], message["ReceiptHandle"])
        if held is not None or answered:  # a copy of an event held or answered already
            self._delete(message["ReceiptHandle"])
            return None
        if problems:  # readable ids: answered, never run
            res = m.result(msg, m.now(), self.config.worker_id, err=m.error("invalid_dispatch", "; ".join(problems[:20]), False))
            if self._send_result(res):
                self._delete(message["ReceiptHandle"])
            return None
        deadline, marker = self._attempt_deadline(msg, message.get("Attributes", {}), received_at)
        return Accepted(msg, received_at, deadline, marker, {k: msg[k] for k in ("task_uuid", "step_uuid", "event_id", "correlation_id")})

    def _attempt_deadline(self, msg: dict[str, Any], attributes: Mapping[str, str], received_at: dt.datetime) -> tuple[dt.datetime, dict[str, Any] | None]:
        """Section 3: a message that waited (or came back) keeps its whole budget, from its first receipt."""
        claimed, deadline = m.parse_time(msg["dispatched_at"]), m.parse_time(msg["deadline"])
        first_ms = int(attributes.get("ApproximateFirstReceiveTimestamp", 0))
        if first_ms <= 0:
            return deadline, None
        first = dt.datetime.fromtimestamp(first_ms / 1000, dt.timezone.utc)
        count = int(attributes.get("ApproximateReceiveCount", 1))
        budget = deadline - claimed
        grace = budget - dt.timedelta(milliseconds=msg["timeout_ms"])
        waited = first - claimed > max(grace / 4, dt.timedelta(seconds=1))
        if count <= 1 and not waited:
            return deadline, None
        moved = max(deadline, first + budget)
        return moved, (m.start_marker(msg, first, count, self.config.worker_id) if moved > received_at else None)

    # ---- run -------------------------------------------------------------------------------------------------
    def _process(self, a: Accepted) -> None:
        try:
            self._answer(a, self._outcome(a))
        except Exception as error:  # noqa: BLE001 - never lose the thread silently; SQS redelivers the message
            log.exception("processing failed", extra={"fields": {**a.ids, "problem": str(error)}})
            self._release(a.msg["event_id"])

    def _outcome(self, a: Accepted) -> dict[str, Any]:
        msg, started = a.msg, m.now()
        cap = a.received_at + dt.timedelta(milliseconds=min(msg["timeout_ms"], self.config.completion_timeout_ms))
        deadline, code = (cap, "step_timeout") if cap <= a.attempt_deadline else (a.attempt_deadline, "dispatch_deadline")
        if deadline <= started:
            return m.result(msg, started, self.config.worker_id, err=m.error("handler_timeout", "past its deadline on receipt; not run", True, code))
        handler = self.handlers.get(msg["handler"]["callable"])
        if handler is None:
            return m.result(msg, started, self.config.worker_id, err=m.error("handler_not_found", f"no handler for {msg['handler']['callable']}", False))
        cancelled, box = threading.Event(), {}
        ctx = StepContext(msg["task_context"], msg["handler"]["initialization"], msg["dependency_results"], msg["attempt"],
                          msg["max_attempts"], deadline, cancelled, msg["event_id"], msg["task_uuid"], msg["step_uuid"],
                          msg["step_name"], msg["namespace"], msg["correlation_id"], logging.LoggerAdapter(log, {"fields": a.ids}))
        thread = threading.Thread(target=_call_handler, args=(handler, ctx, box), daemon=True)
        thread.start()
        thread.join(max(0.0, (deadline - m.now()).total_seconds()))
        if thread.is_alive() or m.now() > deadline:
            cancelled.set()  # the answer is ours now; whatever the handler returns later is ignored
            budget = round((deadline - a.received_at).total_seconds() * 1000)
            return m.result(msg, started, self.config.worker_id, err=m.error("handler_timeout", f"the handler did not finish within {budget} ms of receipt", True, code))
        return self._judge(msg, started, box)

    def _judge(self, msg: dict[str, Any], started: dt.datetime, box: dict[str, Any]) -> dict[str, Any]:
        wid, e = self.config.worker_id, box.get("error")
        if isinstance(e, PermanentError):
            return m.result(msg, started, wid, err=m.error("handler_error", str(e), False, e.code or type(e).__name__))
        if isinstance(e, RetryableError):
            return m.result(msg, started, wid, err=m.error("handler_error", str(e), True, e.code or type(e).__name__, e.retry_after_ms))
        if isinstance(e, Exception):
            return m.result(msg, started, wid, err=m.error("handler_error", str(e), True, type(e).__name__))
        if e is not None:
            return m.result(msg, started, wid, err=m.error("handler_panic", repr(e), True, type(e).__name__))
        value = box.get("value")
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:
            return m.result(msg, started, wid, err=m.error("result_not_storable", "the result holds NaN or Infinity", False, "non_finite_number"))
        except TypeError as error:
            return m.result(msg, started, wid, err=m.error("handler_panic", f"the result is not JSON: {error}", True))
        bad = m.unstorable(value)
        if bad:
            return m.result(msg, started, wid, err=m.error("result_not_storable", f"PostgreSQL jsonb cannot store the result at {bad[1]}", False, bad[0]))
        refused = m.dynamic_problem(msg.get("dynamic"), value)
        if refused:
            return m.result(msg, started, wid, err=m.error(refused[0], refused[1], False))
        return m.sized(m.result(msg, started, wid, value=value))

    # ---- answer: result FIRST, then delete, then events ------------------------------------------------------
    def _answer(self, a: Accepted, res: dict[str, Any]) -> None:
        event_id = a.msg["event_id"]
        if not self._send_result(res):
            self._release(event_id)  # not sent: no delete, no event; SQS redelivers it after the visibility timeout
            return
        held = self._release(event_id)
        with self.lock:
            self.answered[event_id] = None
            while len(self.answered) > REMEMBERED_ANSWERS:
                self.answered.popitem(last=False)
        if held is not None:
            self._delete(held.receipt)
        log.info("answered", extra={"fields": {**a.ids, "status": res["status"], "error_type": (res["error"] or {}).get("error_type")}})
        publisher = threading.Thread(target=self._publish, args=(a.msg, res), daemon=True)
        publisher.start()
        publisher.join(self.config.callback_timeout_ms / 1000)  # bounded; it may finish in the background

    def _send_result(self, res: dict[str, Any]) -> bool:
        problems = schemas.problems("step-execution-result", res)
        if problems:
            log.error("refusing to send a result its schema refuses", extra={"fields": {"event_id": res["event_id"], "problems": problems}})
            return False
        return self._with_retries(self.sqs.send_message, QueueUrl=self.config.completion_queue_url, MessageBody=json.dumps(res))

    def _poison(self, message: dict[str, Any], code: str, reason: str) -> None:
        entry = m.poison(message.get("Body", ""), code, reason, self.config.dispatch_queue_url, message.get("MessageId"))
        if self._with_retries(self.sqs.send_message, QueueUrl=self.config.poison_queue_url, MessageBody=json.dumps(entry)):
            self._delete(message["ReceiptHandle"])  # only once it is safe on the poison queue
        log.warning("poison message", extra={"fields": {"error_code": code, "message_id": message.get("MessageId")}})

    def _publish(self, msg: dict[str, Any], res: dict[str, Any]) -> None:
        out = m.outcome(msg, res)
        payload = res["result"] if res["status"] == "success" else res["error"]
        entries: list[dict[str, Any]] = []
        for declared in msg["publishes_events"]:
            if out not in m.MATCHES[declared.get("condition", "success")]:  # validators do not fill in the default
                continue
            entry = m.event_entry(msg, res, declared["name"], out, self.config.event_bus_name)
            verdict = schemas.payload_problems(declared["schema"], payload) if "schema" in declared else []
            if isinstance(verdict, str):
                self._park(entry, "schema_invalid", verdict)
            elif verdict:
                self._park(entry, "schema_mismatch", "; ".join(verdict[:10]))
            elif m.entry_bytes(entry) > m.MAX_EVENT_ENTRY_BYTES:
                self._park(entry, "event_too_large", f"{m.entry_bytes(entry)} bytes; EventBridge takes {m.MAX_EVENT_ENTRY_BYTES}")
            else:
                entries.append(entry)
        batch: list[dict[str, Any]] = []
        for entry in entries:  # PutEvents: at most 10 entries, at most 256 KiB in all
            if batch and (len(batch) == 10 or sum(map(m.entry_bytes, batch)) + m.entry_bytes(entry) > m.MAX_EVENT_ENTRY_BYTES):
                self._put(batch)
                batch = []
            batch.append(entry)
        if batch:
            self._put(batch)

    def _put(self, chunk: list[dict[str, Any]]) -> None:
        for delay in (0.0, *RETRY_DELAYS_S):
            time.sleep(delay)
            try:
                answer = self.events.put_events(Entries=chunk)
                chunk = [e for e, r in zip(chunk, answer["Entries"]) if "ErrorCode" in r]
            except Exception as error:  # noqa: BLE001 - retried, then parked
                log.warning("put_events failed", extra={"fields": {"problem": str(error)}})
            if not chunk:
                return
        for entry in chunk:
            self._park(entry, "publish_failed", "EventBridge refused it after retries")

    def _park(self, entry: dict[str, Any], code: str, reason: str) -> None:
        parked = m.parked(entry, code, reason)
        if self.config.domain_event_dlq_url and self._with_retries(
                self.sqs.send_message, QueueUrl=self.config.domain_event_dlq_url, MessageBody=json.dumps(parked)):
            return
        log.error("domain event not published and not parked", extra={"fields": parked})

    # ---- holding, heartbeats, SQS calls ----------------------------------------------------------------------
    def _release(self, event_id: str) -> Held | None:
        with self.lock:
            return self.held.pop(event_id, None)

    def _heartbeats(self) -> None:
        period = self.config.visibility_timeout_s / 3
        while True:
            time.sleep(period)
            with self.lock:
                beats = list(self.held.values())
            for held in beats:
                self._call(self.sqs.change_message_visibility, QueueUrl=self.config.dispatch_queue_url,
                           ReceiptHandle=held.receipt, VisibilityTimeout=self.config.visibility_timeout_s)

    def _delete(self, receipt: str) -> None:
        if not self._with_retries(self.sqs.delete_message, QueueUrl=self.config.dispatch_queue_url, ReceiptHandle=receipt):
            log.warning("delete failed: the message comes back and its second answer is refused as a duplicate")

    def _with_retries(self, call: Any, **kwargs: Any) -> bool:
        for delay in (0.0, *RETRY_DELAYS_S):
            time.sleep(delay)
            if self._call(call, **kwargs):
                return True
        return False

    @staticmethod
    def _call(call: Any, **kwargs: Any) -> bool:
        try:
            call(**kwargs)
            return True
        except Exception as error:  # noqa: BLE001 - every SQS failure is logged and answered by the caller
            log.warning("%s failed", getattr(call, "__name__", "call"), extra={"fields": {"problem": str(error)}})
            return False


def _call_handler(handler: Handler, ctx: StepContext, box: dict[str, Any]) -> None:
    try:
        box["value"] = handler(ctx)
    except BaseException as error:  # noqa: BLE001 - classified by the worker (SystemExit in a handler is a panic)
        box["error"] = error
