/**
 * The RFC 9293 connection state machine, seen by a passive observer.
 *
 * The tracker does not see inside either host, so it follows one rule (SPEC section 3):
 * what an endpoint SENDS changes its state at once; what it RECEIVES changes its state only once
 * the endpoint's own later packets prove it was received. The connection turns packets into the
 * events below (already proven, and dated when the endpoint really received them); this file says
 * what each event does in each state, one commented arm per transition, as smoltcp's tcp.rs does.
 */

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

export const TCP_STATES: readonly TcpState[] = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
];

/** The states as numbers (their index in TCP_STATES), as the connection store keeps them. */
export const enum TcpCode {
  CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT,
}

/** The name `ss -tan` gives each state. */
export const SS_NAMES: Record<TcpState, string> = {
  CLOSED: 'UNCONN', LISTEN: 'LISTEN', SYN_SENT: 'SYN-SENT', SYN_RECEIVED: 'SYN-RECV',
  ESTABLISHED: 'ESTAB', FIN_WAIT_1: 'FIN-WAIT-1', FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT', CLOSING: 'CLOSING', LAST_ACK: 'LAST-ACK', TIME_WAIT: 'TIME-WAIT',
};

/** What happened to one endpoint. `recv-*` events are only raised once proven (see file header). */
export type EventKind =
  | 'send-syn' // sent a SYN without ACK (active open, or a simultaneous open)
  | 'send-syn-ack' // sent a SYN/ACK
  | 'send-fin' // sent a FIN (its application closed or shut down writing)
  | 'send-rst' // sent a RST
  | 'recv-syn' // received the peer's SYN (proven by our SYN/ACK or an ACK covering it)
  | 'recv-syn-ack' // received the peer's SYN/ACK acknowledging our SYN (proven by our ACK of it)
  | 'recv-ack-of-syn' // our SYN or SYN/ACK was acknowledged (taken as received at the ACK's time)
  | 'recv-fin' // received the peer's FIN (proven by our ACK covering it)
  | 'recv-fin-ack-of-fin' // received the peer's FIN in a segment that also acknowledged our FIN
  | 'recv-ack-of-fin' // our FIN was acknowledged (taken as received at the ACK's time)
  | 'recv-rst' // received an acceptable RST
  | 'time-wait-expired' // the 2MSL timer ran out (capture time passed entry + TIME_WAIT length)
  | 'reused' // a new incarnation of the four-tuple began (a SYN with a new ISN)
  | 'recv-icmp-error' // an ICMP error about its SYN or SYN/ACK made it give up the opening
  | 'gave-up'; // its SYN, SYN/ACK, FIN or data retransmissions ran out, shown by a later arrival (Endpoint.gaveUpBefore)

export const EVENT_KINDS: readonly EventKind[] = [
  'send-syn', 'send-syn-ack', 'send-fin', 'send-rst', 'recv-syn', 'recv-syn-ack', 'recv-ack-of-syn', 'recv-fin',
  'recv-fin-ack-of-fin', 'recv-ack-of-fin', 'recv-rst', 'time-wait-expired', 'reused', 'recv-icmp-error',
  'gave-up',
];

/** The events as numbers (their index in EVENT_KINDS), as the event logs keep them. */
export const enum EventCode {
  SEND_SYN, SEND_SYN_ACK, SEND_FIN, SEND_RST, RECV_SYN, RECV_SYN_ACK, RECV_ACK_OF_SYN, RECV_FIN,
  RECV_FIN_ACK_OF_FIN, RECV_ACK_OF_FIN, RECV_RST, TIME_WAIT_EXPIRED, REUSED, RECV_ICMP_ERROR, GAVE_UP,
}

/**
 * The state after `event` in `state`, or `state` itself when the event means nothing there
 * (a FIN from an endpoint that never opened, a duplicate ACK, ...).
 */
export function nextState(state: TcpState, event: EventKind): TcpState {
  switch (event) {
    case 'send-rst':
      // RFC 9293 3.10.7: an endpoint that sends RST has dropped its TCB, whatever its state.
      return 'CLOSED';
    case 'recv-rst':
      // 3.10.7.4: an acceptable RST in any synchronized state (and SYN-SENT, SYN-RECEIVED) drops the
      // connection. Linux with tcp_rfc1337=0 (the default) also kills a TIME-WAIT socket on RST.
      // SYN-RECEIVED reached from LISTEN would "return to LISTEN": that is the listener, not this
      // connection's socket, which is gone, so CLOSED.
      return state === 'LISTEN' ? state : 'CLOSED';
    case 'reused':
      // The four-tuple now belongs to a new connection: whatever this one still held is gone
      // (a TIME-WAIT socket reused by a new SYN, or a socket given up on before the retry).
      return 'CLOSED';
    case 'recv-icmp-error':
      // RFC 1122 4.2.3.9 leaves it to the stack; Linux (tcp_v4_err, tcp_v6_err, tcp_req_err) drops
      // a connection still opening when an ICMP error quotes its SYN or SYN/ACK: connect() fails
      // with ECONNREFUSED, EHOSTUNREACH ... The connection raises it only for such an endpoint.
      return state === 'SYN_SENT' || state === 'SYN_RECEIVED' ? 'CLOSED' : state;
    case 'gave-up':
      // RFC 9293 3.8.3: once retransmissions of a segment reach threshold R2, "close the
      // connection"; Linux drops the socket (tcp_write_timeout) or the request
      // (reqsk_timer_handler) without a packet. Only an endpoint still waiting for an answer to
      // its SYN, SYN/ACK, FIN or data has such a timer running.
      return state === 'SYN_SENT' || state === 'SYN_RECEIVED' || state === 'ESTABLISHED' || state === 'CLOSE_WAIT' ||
        state === 'FIN_WAIT_1' || state === 'CLOSING' || state === 'LAST_ACK' ? 'CLOSED' : state;
    case 'time-wait-expired':
      // 3.10.8: "If the time-wait timeout expires on a connection, delete the TCB".
      return state === 'TIME_WAIT' ? 'CLOSED' : state;
    default:
      break;
  }
  switch (state) {
    case 'CLOSED':
    case 'LISTEN':
      // OPEN call: "send a SYN segment ... enter SYN-SENT" (3.10.1).
      if (event === 'send-syn') return 'SYN_SENT';
      // A SYN/ACK is only ever sent in answer to a SYN, so sending one shows the SYN arrived even
      // when its receipt could not be dated (the SYN was not captured, or the ack did not match).
      if (event === 'send-syn-ack') return 'SYN_RECEIVED';
      // LISTEN + SYN: "set the SYN-RECEIVED state" and answer SYN/ACK (3.10.7.2).
      if (event === 'recv-syn') return 'SYN_RECEIVED';
      // A listener that answered with a syncookie kept no request (Endpoint.answeredStatelessly):
      // the ACK returning the cookie makes the socket, established (Linux, cookie_v4_check).
      if (event === 'recv-ack-of-syn' && state === 'LISTEN') return 'ESTABLISHED';
      return state;
    case 'SYN_SENT':
      // SYN-SENT + SYN/ACK acknowledging our SYN: "enter ESTABLISHED" (3.10.7.3).
      if (event === 'recv-syn-ack') return 'ESTABLISHED';
      // SYN-SENT + SYN without ACK: simultaneous open, "enter SYN-RECEIVED" (3.10.7.3).
      if (event === 'recv-syn' || event === 'send-syn-ack') return 'SYN_RECEIVED';
      return state;
    case 'SYN_RECEIVED':
      // SYN-RECEIVED + ACK of our SYN: "enter ESTABLISHED" (3.10.7.4, fifth check).
      if (event === 'recv-ack-of-syn' || event === 'recv-syn-ack') return 'ESTABLISHED';
      // CLOSE in SYN-RECEIVED: "form a FIN segment and send it, and enter FIN-WAIT-1" (3.10.4).
      if (event === 'send-fin') return 'FIN_WAIT_1';
      // A FIN here also acknowledges our SYN (it carries ACK): "enter CLOSE-WAIT" (3.10.7.4).
      if (event === 'recv-fin' || event === 'recv-fin-ack-of-fin') return 'CLOSE_WAIT';
      return state;
    case 'ESTABLISHED':
      // CLOSE in ESTABLISHED: send FIN, "enter FIN-WAIT-1" (3.10.4).
      if (event === 'send-fin') return 'FIN_WAIT_1';
      // FIN received in ESTABLISHED: "enter the CLOSE-WAIT state" (3.10.7.4, eighth check).
      if (event === 'recv-fin' || event === 'recv-fin-ack-of-fin') return 'CLOSE_WAIT';
      return state;
    case 'FIN_WAIT_1':
      // "In addition to the processing for the ESTABLISHED state, if the FIN segment is now
      // acknowledged, then enter FIN-WAIT-2" (3.10.7.4, fifth check).
      if (event === 'recv-ack-of-fin') return 'FIN_WAIT_2';
      // FIN received: "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT
      // ... otherwise, enter the CLOSING state" (3.10.7.4, eighth check): the simultaneous close.
      if (event === 'recv-fin-ack-of-fin') return 'TIME_WAIT';
      if (event === 'recv-fin') return 'CLOSING';
      return state;
    case 'FIN_WAIT_2':
      // FIN received in FIN-WAIT-2: "Enter the TIME-WAIT state" (3.10.7.4, eighth check).
      if (event === 'recv-fin' || event === 'recv-fin-ack-of-fin') return 'TIME_WAIT';
      return state;
    case 'CLOSE_WAIT':
      // CLOSE in CLOSE-WAIT: send FIN, "enter LAST-ACK" (3.10.4).
      if (event === 'send-fin') return 'LAST_ACK';
      return state;
    case 'CLOSING':
      // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state" (3.10.7.4).
      if (event === 'recv-ack-of-fin') return 'TIME_WAIT';
      return state;
    case 'LAST_ACK':
      // "If our FIN is now acknowledged, delete the TCB, enter the CLOSED state" (3.10.7.4).
      if (event === 'recv-ack-of-fin') return 'CLOSED';
      return state;
    case 'TIME_WAIT':
      // A retransmitted FIN is acknowledged and restarts the timer; nothing changes state.
      return state;
  }
}

/** nextState for every state and event, as numbers: the table the tracker folds event logs with. */
const NEXT = new Uint8Array(TCP_STATES.length * EVENT_KINDS.length);
for (let st = 0; st < TCP_STATES.length; st++) {
  for (let ev = 0; ev < EVENT_KINDS.length; ev++) {
    NEXT[st * EVENT_KINDS.length + ev] = TCP_STATES.indexOf(nextState(TCP_STATES[st]!, EVENT_KINDS[ev]!));
  }
}

/** nextState on codes. */
export function nextCode(state: TcpCode, event: EventCode): TcpCode {
  return NEXT[state * EVENT_KINDS.length + event]!;
}

/**
 * States in which both sides' sequence numbers are known (RFC 9293: "synchronized states"): every
 * state from ESTABLISHED on, in TcpCode's order.
 */
export function isSynchronizedCode(s: TcpCode): boolean {
  return s >= TcpCode.ESTABLISHED;
}

/** A synchronized state other than TIME_WAIT: the endpoint holds a live connection. */
export function isOpenCode(s: TcpCode): boolean {
  return isSynchronizedCode(s) && s !== TcpCode.TIME_WAIT;
}
