import { expect } from 'chai';
import { classifySmtpError } from './smtp-sender.ts';

describe('SMTP failure classification', () => {
  const failure = (fields: Record<string, unknown>) =>
    classifySmtpError(Object.assign(new Error('smtp'), fields));

  it('fails for good only when the server refused the message or recipient with 5xx', () => {
    expect(failure({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }).permanent).to.be
      .true;
    expect(failure({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }).permanent).to.be.true;
  });

  it('retries a server that is down, slow, busy, or refuses our login', () => {
    for (const fields of [
      { code: 'ECONNECTION' },
      { code: 'ESOCKET' },
      { code: 'ETIMEDOUT' },
      { code: 'EABORT' },
      { code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' },
      { code: 'EENVELOPE', responseCode: 421, command: 'MAIL FROM' },
      { code: 'EENVELOPE', responseCode: 503, command: 'RCPT TO' },
      { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' },
    ]) {
      const error = failure(fields);
      expect(error.permanent, JSON.stringify(fields)).to.be.false;
      expect(error.code).to.equal('SMTP_ERROR');
    }
  });
});
