//! Drives one SDK future as a JS Promise, the way a JS `async function` runs.
//!
//! The future is polled at once, up to its first `await`, and polled again right where the
//! awaited promise settles (in the `JsFuture` callback). wasm-bindgen-futures'
//! `future_to_promise` instead queues the first poll and every wake-up as a microtask of its own
//! (`queueMicrotask`, then a run of its task queue): three extra hops per request, ~25 µs of the
//! ~95 µs that `isValidLogin` over fetch cost beyond a bare `fetch` in paired Chromium runs (see
//! BENCHMARKS.md). It also makes the request go out before the call returns, with the settings
//! of that moment.
//!
//! The awaited promises are still `wasm_bindgen_futures::JsFuture`s; only the executor is ours.
//! Settling a JS promise always calls its callbacks later, from the microtask queue, so a wake-up
//! never arrives while the same task's poll is on the stack except by a future waking itself;
//! that case is caught and polled again after the current poll returns.

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;

use super::{error_to_js, CallFuture};

/// Starts `future` and answers the Promise of its result; an error rejects it as a JS `Error`.
/// One non-generic function for every export keeps the wasm small.
#[inline(never)]
pub(crate) fn promise(future: CallFuture) -> Promise {
    let mut future = Some(future);
    // The executor runs synchronously inside `new Promise`, so the first poll does too.
    Promise::new(&mut |resolve, reject| {
        if let Some(future) = future.take() {
            let task = Rc::new(Task {
                future: RefCell::new(Some(future)),
                resolve,
                reject,
                polling: Cell::new(false),
                woken: Cell::new(false),
            });
            task.run();
        }
    })
}

struct Task {
    /// `None` once the future has finished (and been dropped).
    future: RefCell<Option<CallFuture>>,
    resolve: Function,
    reject: Function,
    /// A poll is on the stack: a wake-up now only asks for another one after it.
    polling: Cell<bool>,
    woken: Cell<bool>,
}

impl Task {
    fn run(self: &Rc<Self>) {
        if self.polling.replace(true) {
            self.woken.set(true);
            return;
        }
        let waker = waker(Rc::clone(self));
        let mut cx = Context::from_waker(&waker);
        let outcome = loop {
            self.woken.set(false);
            let Ok(mut slot) = self.future.try_borrow_mut() else {
                break None;
            };
            let Some(future) = slot.as_mut() else {
                break None;
            };
            if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
                // Dropped before the promise settles, so nothing of the call outlives it.
                let finished = slot.take();
                drop(slot);
                drop(finished);
                break Some(result);
            }
            drop(slot);
            if !self.woken.get() {
                break None;
            }
        };
        self.polling.set(false);
        // Settling schedules the caller's callbacks; none runs inside this call.
        match outcome {
            Some(Ok(value)) => {
                let _ = self.resolve.call1(&JsValue::UNDEFINED, &value);
            }
            Some(Err(error)) => {
                let _ = self.reject.call1(&JsValue::UNDEFINED, &error_to_js(error));
            }
            None => {}
        }
    }
}

// A waker is an `Rc<Task>` behind a raw pointer: the module is single-threaded (no atomics), so
// wakers never cross threads and the `Arc` that `std::task::Wake` asks for is not needed.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn waker(task: Rc<Task>) -> Waker {
    let raw = RawWaker::new(Rc::into_raw(task).cast(), &VTABLE);
    // SAFETY: the vtable functions below treat the pointer as the `Rc<Task>` made here, and
    // keep its strong count balanced.
    unsafe { Waker::from_raw(raw) }
}

// SAFETY (all four): `ptr` came from `Rc::into_raw` in `waker` or `clone`, and each RawWaker
// holds one strong count, given back exactly once by `wake` or `drop_waker`.
unsafe fn clone(ptr: *const ()) -> RawWaker {
    unsafe { Rc::increment_strong_count(ptr.cast::<Task>()) };
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    let task = unsafe { Rc::from_raw(ptr.cast::<Task>()) };
    task.run();
}

unsafe fn wake_by_ref(ptr: *const ()) {
    let task = ManuallyDrop::new(unsafe { Rc::from_raw(ptr.cast::<Task>()) });
    task.run();
}

unsafe fn drop_waker(ptr: *const ()) {
    drop(unsafe { Rc::from_raw(ptr.cast::<Task>()) });
}
